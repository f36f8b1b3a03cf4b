import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, type NatsConnection } from '@nats-io/transport-node';
import type { BusLogger } from './bus-logger.js';
import { LinkState } from './link-state.js';

export interface ConnectOptions {
  /** Connection name shown by the server (e.g. 'pilot-0'). */
  readonly name?: string;
  readonly user?: string;
  readonly pass?: string;
  readonly token?: string;
  /** After the first connect succeeded; default -1 (forever). */
  readonly maxReconnectAttempts?: number;
  /** First connect and request timeout, ms; default 5000. */
  readonly timeoutMs?: number;
}

export interface Bus {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly log: BusLogger;
  /**
   * Resolves at once while connected, else at the next reconnect; rejects with
   * BusUnavailableError after `timeoutMs` (default: the connect timeout). The
   * client drops whatever is sent while disconnected, so writers wait here first.
   */
  waitConnected(timeoutMs?: number): Promise<void>;
  /** Flushes and closes; for a clean shutdown. Safe to call twice. */
  drain(): Promise<void>;
  /** Closes at once. Safe to call twice. */
  close(): Promise<void>;
}

/** NATS (or its JetStream) cannot be reached: at start, or for longer than a caller would wait. */
export class BusUnavailableError extends Error {
  readonly code = 'UNAVAILABLE';

  constructor(
    readonly url: string,
    cause: unknown,
  ) {
    super(`cannot reach NATS at ${url}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'BusUnavailableError';
  }
}

const RECONNECT_WAIT_MS = 1_000;
// Dead peers are noticed within ~2 pings even when TCP does not tell us.
const PING_INTERVAL_MS = 20_000;

async function watchStatus(nc: NatsConnection, log: BusLogger, link: LinkState): Promise<void> {
  for await (const status of nc.status()) {
    switch (status.type) {
      case 'disconnect':
        link.set(false);
        log.warn({ server: status.server }, 'NATS disconnected');
        break;
      case 'reconnect':
        link.set(true);
        log.info({ server: status.server }, 'NATS reconnected');
        break;
      case 'reconnecting':
        log.debug({}, 'NATS reconnecting');
        break;
      case 'error':
        log.error({ err: status.error }, 'NATS error');
        break;
      case 'ldm':
        log.warn({ server: status.server }, 'NATS server entering lame duck mode');
        break;
      case 'staleConnection':
        log.warn({}, 'NATS connection stale');
        break;
      case 'slowConsumer':
        log.warn({ subject: status.sub.getSubject(), pending: status.pending }, 'NATS slow consumer');
        break;
      default:
        break;
    }
  }
}

/**
 * Connects with reconnect enabled. Rejects with BusUnavailableError when the
 * server (or JetStream on it) cannot be reached at start.
 */
export async function connectBus(url: string, log: BusLogger, opts: ConnectOptions = {}): Promise<Bus> {
  const timeout = opts.timeoutMs ?? 5_000;
  let nc: NatsConnection;
  try {
    nc = await connect({
      servers: url,
      name: opts.name,
      user: opts.user,
      pass: opts.pass,
      token: opts.token,
      timeout,
      maxReconnectAttempts: opts.maxReconnectAttempts ?? -1,
      reconnectTimeWait: RECONNECT_WAIT_MS,
      pingInterval: PING_INTERVAL_MS,
    });
  } catch (err) {
    throw new BusUnavailableError(url, err);
  }
  let jsm: JetStreamManager;
  try {
    jsm = await jetstreamManager(nc, { timeout });
  } catch (err) {
    await nc.close();
    throw new BusUnavailableError(url, err);
  }
  const js = jetstream(nc, { timeout });
  log.info({ url, server: nc.info?.server_name }, 'NATS connected');
  const link = new LinkState();
  watchStatus(nc, log, link).catch((err: unknown) => log.error({ err }, 'NATS status monitor failed'));
  return {
    nc,
    js,
    jsm,
    log,
    waitConnected: async (timeoutMs = timeout) => {
      if (nc.isClosed()) throw new BusUnavailableError(url, new Error('connection closed'));
      if (!(await link.waitUp(timeoutMs))) {
        throw new BusUnavailableError(url, new Error(`disconnected for more than ${timeoutMs} ms`));
      }
    },
    drain: async () => {
      if (!nc.isClosed() && !nc.isDraining()) await nc.drain();
      await nc.closed();
    },
    close: async () => {
      if (!nc.isClosed()) await nc.close();
    },
  };
}
