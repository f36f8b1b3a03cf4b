import * as E from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import type { EnvCodec } from './env-codecs.js';

/** One configuration field: which variable it comes from and how its text is decoded. */
export interface EnvVar<A> {
  readonly variable: string;
  // Only the decoding half, so EnvVar<number> fits where EnvVar<unknown> is expected.
  readonly codec: t.Decoder<unknown, A>;
  /** Absent: the variable is required. */
  readonly fallback?: { readonly value: A };
  /** Other variables that must be set whenever this one is (a user needs its password). */
  readonly requires?: readonly string[];
  /** Never echoed in an error message (a password). */
  readonly secret?: boolean;
}

export type EnvSpec = Record<string, EnvVar<unknown>>;

export type ConfigOf<S extends EnvSpec> = { readonly [K in keyof S]: S[K] extends EnvVar<infer A> ? A : never };

/** A bad or missing variable; `value` is undefined when it was not set, or is a secret. */
export interface EnvError {
  readonly variable: string;
  readonly value: string | undefined;
  readonly reason: string;
  /** Set but not shown. */
  readonly secret?: true;
}

export type Env = Readonly<Record<string, string | undefined>>;

/** A variable with a default, used when it is unset or empty. */
export function envVar<A>(variable: string, codec: EnvCodec<A>, defaultValue: A): EnvVar<A>;
/** A required variable. */
export function envVar<A>(variable: string, codec: EnvCodec<A>): EnvVar<A>;
export function envVar<A>(variable: string, codec: EnvCodec<A>, ...rest: [A?]): EnvVar<A> {
  return rest.length === 0 ? { variable, codec } : { variable, codec, fallback: { value: rest[0] as A } };
}

/** A variable that may stay unset: the field is then undefined. */
export function optionalEnvVar<A>(
  variable: string,
  codec: EnvCodec<A>,
  opts: Pick<EnvVar<A>, 'requires' | 'secret'> = {},
): EnvVar<A | undefined> {
  return { variable, codec, fallback: { value: undefined }, ...opts };
}

const isUnset = (raw: string | undefined): raw is undefined => raw === undefined || raw.trim() === '';

/** Decodes every field, collecting all errors so an operator fixes them in one go. */
export function decodeEnv<S extends EnvSpec>(spec: S, env: Env): E.Either<EnvError[], ConfigOf<S>> {
  const errors: EnvError[] = [];
  const config: Record<string, unknown> = {};
  for (const [field, { variable, codec, fallback, requires = [], secret }] of Object.entries(spec)) {
    const raw = env[variable];
    // An empty assignment (JETMESH_X=) reads as unset: that is how shells and compose files clear a variable.
    if (isUnset(raw)) {
      if (fallback === undefined) errors.push({ variable, value: raw, reason: 'must be set' });
      else config[field] = fallback.value;
      continue;
    }
    const shown = secret === true ? { value: undefined, secret: true as const } : { value: raw };
    const missing = requires.filter((other) => isUnset(env[other]));
    if (missing.length > 0) {
      errors.push({ variable, ...shown, reason: `needs ${missing.join(' and ')} set too` });
      continue;
    }
    const decoded = codec.decode(raw);
    if (E.isRight(decoded)) config[field] = decoded.right;
    else errors.push({ variable, ...shown, reason: decoded.left[0]?.message ?? `is not a valid ${codec.name}` });
  }
  return errors.length > 0 ? E.left(errors) : E.right(config as ConfigOf<S>);
}

export function formatEnvError({ variable, value, reason, secret }: EnvError): string {
  const shown = secret === true ? `${variable} (set, not shown)` : value === undefined ? `${variable} (unset)` : `${variable}=${JSON.stringify(value)}`;
  return `invalid environment: ${shown}: ${reason}`;
}

/** EX_USAGE-like status: the service was started wrong, restarting it will not help. */
export const BAD_ENVIRONMENT_EXIT_CODE = 2;

/** For a service's main: the config, or one line per bad variable on stderr and exit 2. */
export function parseEnv<S extends EnvSpec>(spec: S, env: Env = process.env): ConfigOf<S> {
  const decoded = decodeEnv(spec, env);
  if (E.isRight(decoded)) return decoded.right;
  process.stderr.write(decoded.left.map((e) => `${formatEnvError(e)}\n`).join(''));
  process.exit(BAD_ENVIRONMENT_EXIT_CODE);
}
