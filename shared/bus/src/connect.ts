import { readFileSync } from 'node:fs';
import { jetstream, jetstreamManager, type JetStreamClient, type JetStreamManager } from '@nats-io/jetstream';
import { connect, jwtAuthenticator, PermissionViolationError, type NatsConnection } from '@nats-io/transport-node';
import type { BusLogger } from './bus-logger.js';
import { startDeadline, untilJetStreamReady, type ReadyWait } from './jetstream-ready.js';
import { LinkState } from './link-state.js';
import { natsUserClaims, parseCreds, type NatsUserCredentials } from './nats-user-jwt.js';

export interface ConnectOptions {
  /** Connection name shown by the server (e.g. 'pilot-0'). */
  readonly name?: string;
  /** This component's NATS user (deploy/nats/); its replies arrive on `_INBOX.<user>.>`, which only it may read. */
  readonly user?: string;
  readonly pass?: string;
  readonly token?: string;
  /**
   * A user JWT of the mesh account and its seed (operator mode): the JWT's name stands for
   * `user` and its `_INBOX.<…>.>` permission gives the inbox prefix. A function is asked again at
   * every (re)connect, so renewed credentials are used after the server drops an expired one.
   */
  readonly credentials?: NatsUserCredentials | (() => NatsUserCredentials);
  /** A .creds file (JETMESH_NATS_CREDS): read at every (re)connect, so a rotated file is picked up. Ignored with `credentials`. */
  readonly credsFile?: string;
  /** After the first connect succeeded; default -1 (forever). */
  readonly maxReconnectAttempts?: number;
  /** First connect and request timeout, ms; default 5000. */
  readonly timeoutMs?: number;
  /**
   * Keep trying (untilJetStreamReady) while no server answers or JetStream is not available
   * yet, as on a cluster still electing its leaders after a restart: what a service wants.
   * The bus keeps it for provisioning and followers (Bus.readyWait). Unset: the first failure
   * rejects (the CLI, tests).
   */
  readonly readyWait?: ReadyWait;
}

export interface Bus {
  readonly nc: NatsConnection;
  readonly js: JetStreamClient;
  readonly jsm: JetStreamManager;
  readonly log: BusLogger;
  /** The NATS user this bus connected as; undefined without credentials. */
  readonly user: string | undefined;
  /** Where this connection's replies arrive (`_INBOX.<user>`, a JWT's own inbox, or `_INBOX`): a reply subject made by hand starts here. */
  readonly inboxPrefix: string;
  /**
   * ConnectOptions.readyWait, its bound counted from the connect (ReadyWait.deadline): until
   * then provisioning and opening a follower keep trying while the cluster elects its leaders.
   * Undefined: they fail at once.
   */
  readonly readyWait: ReadyWait | undefined;
  /**
   * Resolves at once while connected, else at the next reconnect; rejects with
   * BusUnavailableError after `timeoutMs` (default: the connect timeout). The
   * client drops whatever is sent while disconnected, so writers wait here first.
   */
  waitConnected(timeoutMs?: number): Promise<void>;
  /** Whether the connection is up now (core publishes made while it is down are lost). */
  isConnected(): boolean;
  /**
   * Calls `listener` after every reconnect (core subscriptions missed whatever was
   * published meanwhile, so their owners re-read). Returns the unsubscribe.
   */
  onReconnect(listener: () => void): () => void;
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
    readonly user?: string,
  ) {
    const as = user === undefined ? '' : ` as user "${user}"`;
    super(`cannot reach NATS at ${url}${as}: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'BusUnavailableError';
  }
}

/** The server's permissions (deploy/nats/) refuse this user a subject: a deployment error, retrying cannot help. */
export class BusPermissionError extends Error {
  readonly code = 'PERMISSION_DENIED';

  constructor(
    readonly user: string | undefined,
    readonly operation: 'publish' | 'subscribe',
    readonly subject: string,
    cause?: unknown,
  ) {
    super(`${permissionDenial(user, operation, subject)} (see deploy/nats/README.md)`, { cause });
    this.name = 'BusPermissionError';
  }
}

function permissionDenial(user: string | undefined, operation: 'publish' | 'subscribe', subject: string): string {
  const who = user === undefined ? 'this connection (no NATS user)' : `NATS user "${user}"`;
  return `${who} may not ${operation} to "${subject}"`;
}

function asPermissionError(err: unknown, user: string | undefined): BusPermissionError | undefined {
  const violation = err instanceof PermissionViolationError ? err : err instanceof Error && err.cause instanceof PermissionViolationError ? err.cause : undefined;
  if (violation === undefined) return undefined;
  return new BusPermissionError(user, violation.operation === 'subscription' ? 'subscribe' : 'publish', violation.subject, err);
}

const RECONNECT_WAIT_MS = 1_000;
// Dead peers are noticed within ~2 pings even when TCP does not tell us.
const PING_INTERVAL_MS = 20_000;

async function watchStatus(nc: NatsConnection, log: BusLogger, link: LinkState, user: string | undefined, reconnected: () => void): Promise<void> {
  for await (const status of nc.status()) {
    switch (status.type) {
      case 'disconnect':
        link.set(false);
        log.warn({ server: status.server }, 'NATS disconnected');
        break;
      case 'reconnect':
        link.set(true);
        log.info({ server: status.server }, 'NATS reconnected');
        reconnected();
        break;
      case 'reconnecting':
        log.debug({}, 'NATS reconnecting');
        break;
      case 'error': {
        // Refused requests also reject their caller; a refused subscription or pull only shows up here.
        const denied = asPermissionError(status.error, user);
        if (denied === undefined) log.error({ err: status.error }, 'NATS error');
        else log.error({ user, operation: denied.operation, subject: denied.subject }, `NATS permission denied: ${permissionDenial(user, denied.operation, denied.subject)}`);
        break;
      }
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
 * Connects with reconnect enabled. `url` may list several servers, comma-separated (a
 * cluster's nodes): any one that answers will do. Rejects with BusUnavailableError when no
 * server (or JetStream on it) can be reached at start, or with `readyWait`, a
 * JetStreamNotReadyError once that has lasted for its bound.
 */
export async function connectBus(url: string, log: BusLogger, opts: ConnectOptions = {}): Promise<Bus> {
  if (opts.readyWait === undefined) return connectOnce(url, log, opts);
  // One bound for the whole start: provisioning and the first followers share what the connect left.
  const readyWait = startDeadline(opts.readyWait);
  const as = opts.user === undefined ? '' : ` as user "${opts.user}"`;
  return untilJetStreamReady(`NATS with JetStream at ${url}${as}`, () => connectOnce(url, log, { ...opts, readyWait }), log, readyWait);
}

async function connectOnce(url: string, log: BusLogger, opts: ConnectOptions): Promise<Bus> {
  const timeout = opts.timeoutMs ?? 5_000;
  const credsFile = opts.credsFile;
  const creds = opts.credentials ?? (credsFile === undefined ? undefined : () => parseCreds(readFileSync(credsFile, 'utf8')));
  const currentCreds = creds === undefined ? undefined : typeof creds === 'function' ? creds : () => creds;
  let claims;
  try {
    claims = currentCreds === undefined ? undefined : natsUserClaims(currentCreds().jwt);
  } catch (err) {
    throw new BusUnavailableError(url, new Error(`cannot read the NATS credentials${credsFile === undefined ? '' : ` in ${credsFile}`}: ${(err as Error).message}`, { cause: err }));
  }
  const user = claims?.name ?? opts.user;
  const inboxPrefix = claims !== undefined ? claims.inboxPrefix : user === undefined ? undefined : `_INBOX.${user}`;
  let nc: NatsConnection;
  try {
    nc = await connect({
      // An array: the client takes a string as one server, so a list with a node down would not connect at all.
      servers: url.split(',').map((server) => server.trim()),
      name: opts.name,
      ...(currentCreds === undefined
        ? { user, pass: opts.pass, token: opts.token }
        : { authenticator: jwtAuthenticator(() => currentCreds().jwt, () => new TextEncoder().encode(currentCreds().seed)) }),
      // Replies (JetStream API answers, KV values, CA keys among them) go where only this user may subscribe.
      ...(inboxPrefix === undefined ? {} : { inboxPrefix }),
      timeout,
      maxReconnectAttempts: opts.maxReconnectAttempts ?? -1,
      reconnectTimeWait: RECONNECT_WAIT_MS,
      pingInterval: PING_INTERVAL_MS,
      // The client otherwise builds two Error objects per request just for their stack traces:
      // 12-16 µs on every JetStream publish (measured on citadel's audit path). Errors keep their messages.
      noAsyncTraces: true,
    });
  } catch (err) {
    throw new BusUnavailableError(url, err, user);
  }
  // The client rejects a refused request with the server's words, which name the subject but
  // not who was refused; every JetStream and KV call is a request, so this names the user for all.
  const request = nc.request.bind(nc);
  nc.request = (subject, payload, requestOpts) =>
    request(subject, payload, requestOpts).catch((err: unknown) => {
      throw asPermissionError(err, user) ?? err;
    });
  let jsm: JetStreamManager;
  try {
    jsm = await jetstreamManager(nc, { timeout });
  } catch (err) {
    await nc.close();
    throw asPermissionError(err, user) ?? new BusUnavailableError(url, err, user);
  }
  const js = jetstream(nc, { timeout });
  log.info({ url, user, server: nc.info?.server_name }, 'NATS connected');
  const link = new LinkState();
  const reconnectListeners = new Set<() => void>();
  const reconnected = (): void => {
    for (const listener of reconnectListeners) {
      try {
        listener();
      } catch (err) {
        log.error({ err }, 'reconnect listener failed');
      }
    }
  };
  watchStatus(nc, log, link, user, reconnected).catch((err: unknown) => log.error({ err }, 'NATS status monitor failed'));
  return {
    nc,
    js,
    jsm,
    log,
    user,
    inboxPrefix: inboxPrefix ?? '_INBOX',
    readyWait: opts.readyWait,
    onReconnect: (listener) => {
      reconnectListeners.add(listener);
      return () => reconnectListeners.delete(listener);
    },
    isConnected: () => !nc.isClosed() && link.isUp(),
    waitConnected: async (timeoutMs = timeout) => {
      if (nc.isClosed()) throw new BusUnavailableError(url, new Error('connection closed'), user);
      if (!(await link.waitUp(timeoutMs))) {
        throw new BusUnavailableError(url, new Error(`disconnected for more than ${timeoutMs} ms`), user);
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
