import type * as grpc from '@grpc/grpc-js';
import { formatVersion, type SnapshotVersion } from '@jetmesh/model';
import { CatchUpGate, labelFor, nodeOfFirstRequest, rejectionOf, serveCall, servedType, settle, streamStatus, type AdsStream, type StreamContext } from './ads-stream.js';
import { WILDCARD, type DiscoveryRequest, type DiscoveryResponse, type XdsNode } from './discovery-messages.js';
import { namespaceOfNode } from './node-identity.js';
import { TypeTracker } from './type-tracker.js';
import { isFullStateType, shortNameOf, type ResourceTypeUrl } from './type-urls.js';
import type { XdsChange, XdsEntry } from './xds-cache.js';
import type { PushReason } from './xds-metrics.js';
import { laterOf, parseVersion } from './xds-version.js';

interface TypeState {
  readonly type: ResourceTypeUrl;
  wildcard: boolean;
  names: ReadonlySet<string>;
  /** resource_names of the last request, as sent. */
  requested: readonly string[];
  watchKeys: ReadonlySet<string>;
  readonly tracker: TypeTracker;
  /** A response owed once the catch-up gate opens: the strongest reason asked for. */
  owed: PushReason | undefined;
  owedChange: XdsChange | undefined;
}

/** Whether two requests name the same resources in the same order: the common case, every ACK repeats the list. */
const sameList = (a: readonly string[], b: readonly string[]): boolean => {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
};

const sameNames = (a: readonly string[], b: ReadonlySet<string>): boolean => a.length === b.size && a.every((n) => b.has(n));

/**
 * A state-of-the-world ADS stream (what @grpc/grpc-js-xds and most Envoys speak). Listeners and
 * clusters are always answered with every subscribed resource, since a client deletes what a
 * response leaves out; route configurations and load assignments with the ones that changed.
 */
export function openSotwStream(call: grpc.ServerDuplexStream<DiscoveryRequest, DiscoveryResponse>, ctx: StreamContext, id: number): AdsStream {
  const types = new Map<ResourceTypeUrl, TypeState>();
  const connectedAt = new Date().toISOString();
  let node: XdsNode | undefined;
  let namespace = '';
  let nonces = 0;
  let closed = false;

  const flushOwed = (): void => {
    for (const state of types.values()) {
      const reason = state.owed;
      if (reason === undefined) continue;
      const change = state.owedChange;
      state.owed = undefined;
      state.owedChange = undefined;
      push(state, reason, change, true);
    }
  };
  const gate = new CatchUpGate(ctx.cache, () => {
    ctx.log.warn({ node: node?.id, reported: gate.current() }, 'client reports a version this replica has not reached; answering anyway');
    flushOwed();
  });

  /**
   * What the client should hold for each subscribed name. A named resource that disappeared while
   * subscribed stays as last sent until the client lets go of it (gRFC A53's ignore_resource_deletion,
   * done by the server): grpc-js-xds 1.14.1 never recovers a listener or cluster that is deleted and
   * then comes back unchanged, and a cluster only disappears while routes still move off it.
   */
  const desiredOf = (state: TypeState): Map<string, XdsEntry | undefined> => {
    if (state.wildcard) return new Map(ctx.cache.all(state.type).map((e) => [e.name, e]));
    return new Map([...state.names].map((n) => [n, ctx.cache.resolve(state.type, n, namespace).entry ?? state.tracker.sentEntry(n)]));
  };

  const send = (state: TypeState, entries: XdsEntry[], removed: string[], version: SnapshotVersion, reason: PushReason, change: XdsChange | undefined): void => {
    const nonce = String(++nonces);
    call.write({ version_info: formatVersion(version), resources: entries.map((e) => e.resource), type_url: state.type, nonce });
    state.tracker.recordSent({ nonce, version, entries, removed, reason, publishedAt: reason === 'change' && change !== undefined ? ctx.publishedAt(change) : undefined });
    ctx.metrics.pushes.inc({ type: shortNameOf(state.type) ?? state.type, reason });
  };

  /** `exhaustive`: look at every subscribed name, not only those `change` touched (after a wait, changes piled up). */
  const push = (state: TypeState, reason: PushReason, change?: XdsChange, exhaustive = false): void => {
    if (closed) return;
    if (!gate.open()) {
      state.owed = state.owed === 'subscribe' ? 'subscribe' : reason;
      state.owedChange = change ?? state.owedChange;
      return;
    }
    const cacheVersion = ctx.cache.version();
    if (cacheVersion === undefined) return;
    const { tracker } = state;
    const full = isFullStateType(state.type);
    const previous = tracker.lastSentVersion();
    if (reason === 'change' && change !== undefined && !exhaustive && !full && !state.wildcard && previous !== undefined) {
      // Route tables and load assignments go alone: only what this change touched, not every subscribed name.
      const touched = [...(change.changed.get(state.type) ?? []), ...(change.removed.get(state.type) ?? [])].filter((n) => state.names.has(n));
      const entries = touched
        .map((n) => ctx.cache.resolve(state.type, n, namespace).entry ?? tracker.sentEntry(n))
        .filter((e): e is XdsEntry => e !== undefined && tracker.sentEntry(e.name) !== e);
      if (entries.length === 0) return;
      const floor = gate.current();
      const version = entries.reduce((v, e) => laterOf(v, e.version), floor === undefined ? previous : laterOf(previous, floor));
      send(state, entries, [], version, reason, change);
      return;
    }
    const desired = desiredOf(state);
    const present = [...desired.values()].filter((e): e is XdsEntry => e !== undefined);
    const entries = full || reason === 'subscribe' ? present : present.filter((e) => tracker.sentEntry(e.name) !== e);
    const removed = full ? [...tracker.sentNames()].filter((n) => desired.get(n) === undefined) : [];
    if (reason === 'change' && removed.length === 0 && entries.every((e) => tracker.sentEntry(e.name) === e)) return;
    // A removal is news of the cache's current position, whatever the remaining resources say.
    const version = labelFor(desired, cacheVersion, removed.length > 0 ? laterOf(cacheVersion, previous ?? cacheVersion) : previous, gate.current());
    send(state, entries, removed, version, reason, change);
  };

  const subscribe = (state: TypeState, wildcard: boolean, names: readonly string[]): void => {
    const keys = new Set(names.flatMap((n) => ctx.cache.resolve(state.type, n, namespace).watchKeys));
    ctx.index.unwatch(stream, state.type, [...state.watchKeys].filter((k) => !keys.has(k)));
    ctx.index.watch(stream, state.type, [...keys].filter((k) => !state.watchKeys.has(k)));
    ctx.index.watchAll(stream, state.type, wildcard);
    const next = new Set(names);
    for (const n of state.names) if (!next.has(n)) state.tracker.forget(n);
    state.wildcard = wildcard;
    state.names = next;
    state.watchKeys = keys;
  };

  const handle = (req: DiscoveryRequest): void => {
    if (node === undefined) {
      node = nodeOfFirstRequest(ctx, call.getPeer(), req);
      if (node === undefined) return;
      namespace = namespaceOfNode(node);
      ctx.register(stream);
    }
    const type = servedType(ctx, node, req.type_url);
    if (type === undefined) return;
    let state = types.get(type);
    const first = state === undefined;
    if (state === undefined) {
      state = { type, wildcard: false, names: new Set(), requested: [], watchKeys: new Set(), tracker: new TypeTracker(), owed: undefined, owedChange: undefined };
      types.set(type, state);
    }
    if (req.response_nonce !== '') {
      settle(ctx, node.id, type, state.tracker.answer(req.response_nonce, rejectionOf(req.error_detail)));
    } else if (req.version_info !== '') {
      // A client resuming (after a reconnect, perhaps from another replica) says what it holds.
      const held = parseVersion(req.version_info);
      if (held !== undefined) gate.report(held);
    }
    const names = req.resource_names;
    if (!first && sameList(names, state.requested)) return;
    state.requested = names;
    // An empty first request for listeners or clusters is xDS's legacy wildcard, and stays one.
    const wildcard = names.includes(WILDCARD) || (names.length === 0 && isFullStateType(type) && (first || state.wildcard));
    const concrete = names.filter((n) => n !== WILDCARD);
    if (first || wildcard !== state.wildcard || !sameNames(concrete, state.names)) {
      subscribe(state, wildcard, concrete);
      push(state, 'subscribe');
    }
  };

  const close = (): void => {
    if (closed) return;
    closed = true;
    gate.close();
    for (const state of types.values()) {
      ctx.index.unwatch(stream, state.type, state.watchKeys);
      ctx.index.watchAll(stream, state.type, false);
    }
    if (node !== undefined) ctx.unregister(stream);
  };

  const stream: AdsStream = {
    id,
    protocol: 'sotw',
    onChange: (changed, change) => {
      for (const type of changed) {
        const state = types.get(type);
        if (state !== undefined) push(state, 'change', change);
      }
    },
    onVersion: flushOwed,
    status: () =>
      streamStatus(ctx, { protocol: 'sotw', node, namespace, connectedAt, peer: call.getPeer() }, gate, (type) => {
        const state = types.get(type);
        return state === undefined ? undefined : { tracker: state.tracker, desired: desiredOf(state) };
      }),
  };

  serveCall(call, ctx, () => node?.id, handle, close);
  return stream;
}
