import * as t from 'io-ts';
import { OPERATOR_DURATION_EXAMPLES, parseOperatorDuration } from './operator-duration.js';
import { isLogLevel, logLevels, type LogLevel } from '@jetmesh/log';

/**
 * Decodes one environment variable's text. The failure message is the reason
 * shown to the operator, so it says what a valid value looks like.
 */
export type EnvCodec<A> = t.Type<A, string, unknown>;

function envCodec<A>(
  name: string,
  is: (u: unknown) => u is A,
  parse: (text: string) => A | undefined,
  expected: string,
  encode: (a: A) => string = String,
): EnvCodec<A> {
  return new t.Type<A, string, unknown>(
    name,
    is,
    (u, c) => {
      if (typeof u !== 'string') return t.failure(u, c, expected);
      const parsed = parse(u.trim());
      return parsed === undefined ? t.failure(u, c, expected) : t.success(parsed);
    },
    encode,
  );
}

/** A codec of a variable's text (trimmed) by a parse function; `expected` is the reason shown when it fails. */
export function textCodec<A>(name: string, parse: (text: string) => A | undefined, expected: string): EnvCodec<A> {
  return envCodec(name, (u): u is A => u !== undefined, parse, expected);
}

function parseInteger(text: string): number | undefined {
  return /^\d+$/.test(text) ? Number(text) : undefined;
}

const isNumber = (u: unknown): u is number => typeof u === 'number';
const isString = (u: unknown): u is string => typeof u === 'string';

export const port: EnvCodec<number> = envCodec(
  'port',
  isNumber,
  (text) => {
    const n = parseInteger(text);
    return n !== undefined && n <= 65535 ? n : undefined;
  },
  'must be an integer between 0 and 65535',
);

export const positiveInt: EnvCodec<number> = envCodec(
  'positiveInt',
  isNumber,
  (text) => {
    const n = parseInteger(text);
    return n !== undefined && n >= 1 && Number.isSafeInteger(n) ? n : undefined;
  },
  'must be a positive integer',
);

/** An integer in [min, max], e.g. a replica count. */
export function integerBetween(min: number, max: number): EnvCodec<number> {
  return envCodec(
    `integerBetween(${min}, ${max})`,
    isNumber,
    (text) => {
      const n = parseInteger(text);
      return n !== undefined && n >= min && n <= max ? n : undefined;
    },
    `must be an integer from ${min} to ${max}`,
  );
}

export const nonEmptyString: EnvCodec<string> = envCodec(
  'nonEmptyString',
  isString,
  (text) => (text === '' ? undefined : text),
  'must not be empty',
);

export const logLevel: EnvCodec<LogLevel> = envCodec(
  'logLevel',
  (u): u is LogLevel => typeof u === 'string' && isLogLevel(u),
  (text) => (isLogLevel(text) ? text : undefined),
  `must be one of ${logLevels.join(', ')}`,
);

const natsSchemes = new Set(['nats:', 'tls:']);

function isNatsServerUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return natsSchemes.has(url.protocol) && url.hostname !== '';
  } catch {
    return false;
  }
}

/** A NATS server URL, or a comma-separated list of them (a cluster's seed servers). */
export const natsUrl: EnvCodec<string> = envCodec(
  'natsUrl',
  isString,
  (text) => {
    const urls = text.split(',').map((u) => u.trim());
    return urls.every(isNatsServerUrl) ? urls.join(',') : undefined;
  },
  'must be a nats:// or tls:// URL (or a comma-separated list of them)',
);

/** "host:port", host possibly a bracketed IPv6 address, as gRPC targets are written. */
export const hostPort: EnvCodec<string> = envCodec(
  'hostPort',
  isString,
  (text) => {
    const match = /^(\[[0-9a-fA-F:.]+\]|[^\s:[\]]+):(\d+)$/.exec(text);
    if (match === null) return undefined;
    const n = Number(match[2]);
    return n <= 65535 ? text : undefined;
  },
  'must be host:port with a port between 0 and 65535',
);

/** A duration in the operators' grammar (parseOperatorDuration) as milliseconds. */
export const durationMs: EnvCodec<number> = envCodec(
  'durationMs',
  isNumber,
  parseOperatorDuration,
  `must be a duration such as ${OPERATOR_DURATION_EXAMPLES}`,
  (ms) => `${ms}ms`,
);

/** A NATS user name; it also names the user's reply inboxes (`_INBOX.<user>.>`), hence one subject token. */
export const natsUserName: EnvCodec<string> = envCodec(
  'natsUserName',
  isString,
  (text) => (/^[A-Za-z0-9_-]+$/.test(text) ? text : undefined),
  "must be a NATS user name: letters, digits, '-' and '_'",
);
