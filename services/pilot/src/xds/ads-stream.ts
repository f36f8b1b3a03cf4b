import type * as grpc from '@grpc/grpc-js';
import type { Logger } from '@jetmesh/log';
import { type SnapshotVersion, type XdsStreamStatus } from '@jetmesh/model';
import { covers } from '../snapshot-write-guard.js';
import type { ErrorDetail, XdsNode } from './discovery-messages.js';
import { ShortTypeNames, shortNameOf, typeUrlOfShortName, type ResourceTypeUrl } from './type-urls.js';
import type { Verdict, TypeTracker } from './type-tracker.js';
import type { XdsCache, XdsChange, XdsEntry } from './xds-cache.js';
import type { XdsMetrics } from './xds-metrics.js';
import { laterOf } from './xds-version.js';
import type { WatchIndex } from './watch-index.js';

/** One ADS stream as the server drives it, whatever its protocol. */
export interface AdsStream {
  readonly id: number;
  readonly protocol: 'sotw' | 'delta';
  /** The cache changed resources of `types` this stream watches: push them. */
  onChange(types: ReadonlySet<ResourceTypeUrl>, change: XdsChange): void;
  /** The cache moved to a new version: a response held back for it may go now. */
  onVersion(): void;
  /** Undefined until the client has said who it is. */
  status(): XdsStreamStatus | undefined;
}

/** What every stream shares: the cache, the watch index, the node table and the instruments. */
export interface StreamContext {
  readonly cache: XdsCache;
  readonly index: WatchIndex<AdsStream>;
  readonly metrics: XdsMetrics;
  readonly log: Logger;
  /** When the newest event of a change was published (epoch ms); undefined when unknown. */
  publishedAt(change: XdsChange): Promise<number | undefined> | undefined;
  register(stream: AdsStream): void;
  unregister(stream: AdsStream): void;
}

/**
 * How long a stream holds its answers for a client that reports a version this replica has not
 * reached yet (it came from a replica further along the log). Past this, it answers anyway, labelled
 * no lower than what the client reported.
 */
export const CATCH_UP_WAIT_MS = 10_000;

/** The client's words for a rejection: error_detail's message, else its code. */
export const rejectionOf = (detail: ErrorDetail | null): string | undefined =>
  detail === null ? undefined : detail.message !== '' ? detail.message : `error code ${detail.code}`;

/**
 * The label of a response carrying `desired`: the latest position any of its resources changed at,
 * never below what the stream sent before or the client reported. With nothing to carry, the
 * cache's own position.
 */
export const labelFor = (
  desired: ReadonlyMap<string, XdsEntry | undefined>,
  cacheVersion: SnapshotVersion,
  previous: SnapshotVersion | undefined,
  floor: SnapshotVersion | undefined,
): SnapshotVersion => {
  let label: SnapshotVersion | undefined;
  for (const e of desired.values()) if (e !== undefined) label = label === undefined ? e.version : laterOf(label, e.version);
  label ??= cacheVersion;
  if (previous !== undefined) label = laterOf(label, previous);
  if (floor !== undefined) label = laterOf(label, floor);
  return label;
};

/** Holds answers until the cache covers what the client reported, or CATCH_UP_WAIT_MS passed. */
export class CatchUpGate {
  private floor: SnapshotVersion | undefined;
  private timer: NodeJS.Timeout | undefined;
  private expired = false;

  constructor(
    private readonly cache: XdsCache,
    private readonly onExpire: () => void,
  ) {}

  /** The client reported `version`: what it holds must never be undone by an older answer. */
  report(version: SnapshotVersion): void {
    this.floor = this.floor === undefined ? version : laterOf(this.floor, version);
  }

  current(): SnapshotVersion | undefined {
    return this.floor;
  }

  /** True when an answer may go now; otherwise starts the wait (once). */
  open(): boolean {
    const version = this.cache.version();
    if (version === undefined) return false;
    if (this.floor === undefined || this.expired || covers(version, this.floor)) return true;
    this.timer ??= setTimeout(() => {
      this.expired = true;
      this.onExpire();
    }, CATCH_UP_WAIT_MS).unref();
    return false;
  }

  close(): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
  }
}

/** Records a client's answer: NACKs are logged and counted, ACKs of a change feed the convergence histogram. */
export const settle = (ctx: StreamContext, node: string, type: ResourceTypeUrl, verdict: Verdict): void => {
  const short = shortNameOf(type) ?? type;
  if (verdict.kind === 'nack') {
    ctx.metrics.rejects.inc({ type: short });
    ctx.log.warn({ node, type: short, nonce: verdict.response.nonce, error: verdict.error }, 'client rejected xDS response; it keeps its last good config');
    return;
  }
  if (verdict.kind !== 'ack' || verdict.response.reason !== 'change' || verdict.response.publishedAt === undefined) return;
  const ackedAt = Date.now();
  void verdict.response.publishedAt.then((publishedAt) => {
    if (publishedAt !== undefined) ctx.metrics.convergenceSeconds.observe({ type: short }, Math.max(0, ackedAt - publishedAt) / 1000);
  });
};

/** Per-type status rows for proxy-status: every type, NOT_SENT where the client subscribes to nothing. */
export const typeRows = (
  typeState: (type: ResourceTypeUrl) => { readonly tracker: TypeTracker; readonly desired: ReadonlyMap<string, XdsEntry | undefined>; readonly latest: SnapshotVersion | undefined } | undefined,
): XdsStreamStatus['types'] =>
  ShortTypeNames.map((short) => {
    const state = typeState(typeUrlOfShortName[short]);
    if (state === undefined) return { type: short, status: 'NOT_SENT' as const, subscribed: 0 };
    return { type: short, subscribed: state.desired.size, ...state.tracker.sync(state.desired, state.latest) };
  });

/** Who a stream serves and since when: the fixed part of its proxy-status row. */
export interface StreamIdentity {
  readonly protocol: AdsStream['protocol'];
  readonly node: XdsNode | undefined;
  readonly namespace: string;
  readonly connectedAt: string;
  readonly peer: string;
}

/** A stream's proxy-status: per type, what the client should hold and how far it has taken it. */
export const streamStatus = (
  ctx: StreamContext,
  who: StreamIdentity,
  gate: CatchUpGate,
  typeState: (type: ResourceTypeUrl) => { readonly tracker: TypeTracker; readonly desired: ReadonlyMap<string, XdsEntry | undefined> } | undefined,
): XdsStreamStatus | undefined => {
  if (who.node === undefined) return undefined;
  const cacheVersion = ctx.cache.version();
  return {
    node: who.node.id,
    protocol: who.protocol,
    connectedAt: who.connectedAt,
    peer: who.peer,
    namespace: who.namespace,
    types: typeRows((type) => {
      const state = typeState(type);
      if (state === undefined) return undefined;
      const latest = cacheVersion === undefined ? undefined : labelFor(state.desired, cacheVersion, state.tracker.lastSentVersion(), gate.current());
      return { ...state, latest };
    }),
  };
};

/**
 * Feeds a call's requests to `handle` and closes the stream once, however the call ends. A bug in
 * handling one request must not take the server down: it closes this stream, and the client retries
 * on a new one.
 */
export function serveCall<Req, Res>(call: grpc.ServerDuplexStream<Req, Res>, ctx: StreamContext, nodeId: () => string | undefined, handle: (req: Req) => void, close: () => void): void {
  call.on('data', (req: Req) => {
    try {
      handle(req);
    } catch (err) {
      ctx.log.error({ err, node: nodeId() }, 'ADS request failed; closing the stream');
      close();
      call.destroy(err instanceof Error ? err : new Error(String(err)));
    }
  });
  call.on('end', () => {
    close();
    call.end();
  });
  call.on('cancelled', close);
  call.on('error', close);
  call.on('close', close);
}

/** The node a stream's first request names; undefined (logged) when it names none, and the request is ignored. */
export const nodeOfFirstRequest = (ctx: StreamContext, peer: string, req: { readonly node: XdsNode | null }): XdsNode | undefined => {
  if (req.node !== null && req.node.id !== '') return req.node;
  ctx.log.warn({ peer }, 'ADS stream without node.id in its first request; ignored');
  return undefined;
};

/** The request's type when pilot serves it; other types (say, secrets) are not answered at all, as xDS allows. */
export const servedType = (ctx: StreamContext, node: XdsNode, typeUrl: string): ResourceTypeUrl | undefined => {
  const type = typeUrl as ResourceTypeUrl;
  if (shortNameOf(type) !== undefined) return type;
  ctx.log.debug({ node: node.id, type: typeUrl }, 'subscription to a type pilot does not serve');
  return undefined;
};
