import type * as grpc from '@grpc/grpc-js';
import { formatVersion, type SnapshotVersion } from '@jetmesh/model';
import { CatchUpGate, labelFor, nodeOfFirstRequest, rejectionOf, serveCall, servedType, settle, streamStatus, type AdsStream, type StreamContext } from './ads-stream.js';
import { WILDCARD, type DeltaDiscoveryRequest, type DeltaDiscoveryResponse, type XdsNode } from './discovery-messages.js';
import { namespaceOfNode } from './node-identity.js';
import { TypeTracker } from './type-tracker.js';
import { isFullStateType, shortNameOf, TypeUrls, type ResourceTypeUrl } from './type-urls.js';
import type { XdsChange, XdsEntry } from './xds-cache.js';
import type { PushReason } from './xds-metrics.js';
import { laterOf, parseVersion } from './xds-version.js';

interface TypeState {
  readonly type: ResourceTypeUrl;
  wildcard: boolean;
  readonly names: Set<string>;
  readonly watchKeys: Map<string, readonly string[]>;
  readonly tracker: TypeTracker;
  /** Names owed an answer once the catch-up gate opens ('all' after a change). */
  owed: Set<string> | 'all' | undefined;
  owedReason: PushReason | undefined;
  owedChange: XdsChange | undefined;
}

/**
 * An incremental (delta) ADS stream: the client adds and drops names, and every response carries
 * only what changed, with removals listed by name. A resource's version is the log position its
 * bytes last changed at.
 */
export function openDeltaStream(call: grpc.ServerDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>, ctx: StreamContext, id: number): AdsStream {
  const types = new Map<ResourceTypeUrl, TypeState>();
  const connectedAt = new Date().toISOString();
  let node: XdsNode | undefined;
  let namespace = '';
  let nonces = 0;
  let closed = false;

  const flushOwed = (): void => {
    for (const state of types.values()) {
      const { owed, owedReason, owedChange } = state;
      if (owed === undefined || owedReason === undefined) continue;
      state.owed = undefined;
      state.owedReason = undefined;
      state.owedChange = undefined;
      push(state, owedReason, owed === 'all' ? undefined : owed, owedChange, true);
    }
  };
  const gate = new CatchUpGate(ctx.cache, () => {
    ctx.log.warn({ node: node?.id, reported: gate.current() }, 'client reports a version this replica has not reached; answering anyway');
    flushOwed();
  });

  const desiredOf = (state: TypeState): Map<string, XdsEntry | undefined> => {
    const out = new Map<string, XdsEntry | undefined>(state.wildcard ? ctx.cache.all(state.type).map((e) => [e.name, e]) : []);
    for (const n of state.names) out.set(n, ctx.cache.resolve(state.type, n, namespace).entry);
    return out;
  };

  /**
   * Sends what changed among `only` (every subscribed and sent name when undefined). `exhaustive`:
   * look at every name, not only those `change` touched (after a wait, changes piled up).
   */
  const push = (state: TypeState, reason: PushReason, only: ReadonlySet<string> | undefined, change?: XdsChange, exhaustive = false): void => {
    if (closed) return;
    if (!gate.open()) {
      state.owed = only === undefined || state.owed === 'all' ? 'all' : new Set([...(state.owed ?? []), ...only]);
      state.owedReason = state.owedReason === 'subscribe' ? 'subscribe' : reason;
      state.owedChange = change ?? state.owedChange;
      return;
    }
    const cacheVersion = ctx.cache.version();
    if (cacheVersion === undefined) return;
    const { tracker } = state;
    const previous = tracker.lastSentVersion();
    // A change names what it touched; listeners are asked for by alias, so they are looked at whole.
    const touched =
      reason === 'change' && change !== undefined && !exhaustive && only === undefined && state.type !== TypeUrls.listener && previous !== undefined
        ? new Set([...(change.changed.get(state.type) ?? []), ...(change.removed.get(state.type) ?? [])].filter((n) => state.wildcard || state.names.has(n)))
        : undefined;
    const desired = touched === undefined ? desiredOf(state) : new Map([...touched].map((n) => [n, ctx.cache.resolve(state.type, n, namespace).entry]));
    const candidates = touched ?? only ?? new Set([...desired.keys(), ...tracker.sentNames()]);
    const entries: XdsEntry[] = [];
    const removed: string[] = [];
    for (const name of candidates) {
      const entry = desired.get(name);
      if (entry !== undefined) {
        if (tracker.sentEntry(name) !== entry) entries.push(entry);
      } else if (tracker.sentEntry(name) !== undefined || (reason === 'subscribe' && state.names.has(name))) {
        // Also tells a client that a name it just asked for does not exist.
        removed.push(name);
      }
    }
    if (entries.length === 0 && removed.length === 0) return;
    // A removal is news of the cache's current position, whatever the remaining resources say.
    const floor = removed.length > 0 ? laterOf(cacheVersion, previous ?? cacheVersion) : previous;
    const version =
      touched !== undefined && floor !== undefined
        ? entries.reduce((v, e) => laterOf(v, e.version), gate.current() === undefined ? floor : laterOf(floor, gate.current() as SnapshotVersion))
        : labelFor(desired, cacheVersion, floor, gate.current());
    const nonce = String(++nonces);
    call.write({
      system_version_info: formatVersion(version),
      resources: entries.map((e) => ({ name: e.name, version: formatVersion(e.version), resource: e.resource })),
      type_url: state.type,
      removed_resources: removed,
      nonce,
    });
    tracker.recordSent({ nonce, version, entries, removed, reason, publishedAt: reason === 'change' && change !== undefined ? ctx.publishedAt(change) : undefined });
    ctx.metrics.pushes.inc({ type: shortNameOf(state.type) ?? state.type, reason });
  };

  const handle = (req: DeltaDiscoveryRequest): void => {
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
      state = { type, wildcard: false, names: new Set(), watchKeys: new Map(), tracker: new TypeTracker(), owed: undefined, owedReason: undefined, owedChange: undefined };
      types.set(type, state);
    }
    if (req.response_nonce !== '') settle(ctx, node.id, type, state.tracker.answer(req.response_nonce, rejectionOf(req.error_detail)));

    const added = new Set<string>();
    for (const name of req.resource_names_subscribe) {
      if (name === WILDCARD) {
        if (!state.wildcard) for (const e of ctx.cache.all(type)) added.add(e.name);
        state.wildcard = true;
        ctx.index.watchAll(stream, type, true);
      } else if (!state.names.has(name)) {
        state.names.add(name);
        const keys = ctx.cache.resolve(type, name, namespace).watchKeys;
        state.watchKeys.set(name, keys);
        ctx.index.watch(stream, type, keys);
        added.add(name);
      }
    }
    if (first && req.resource_names_subscribe.length === 0 && isFullStateType(type)) {
      // xDS's legacy wildcard: a first request naming nothing for listeners or clusters.
      state.wildcard = true;
      ctx.index.watchAll(stream, type, true);
      for (const e of ctx.cache.all(type)) added.add(e.name);
    }
    for (const name of req.resource_names_unsubscribe) {
      if (name === WILDCARD) {
        state.wildcard = false;
        ctx.index.watchAll(stream, type, false);
        continue;
      }
      state.names.delete(name);
      ctx.index.unwatch(stream, type, state.watchKeys.get(name) ?? []);
      state.watchKeys.delete(name);
      state.tracker.forget(name);
    }
    if (first) {
      // A client resuming says what it holds: no need to send it again, and no older answer may follow.
      for (const [name, version] of Object.entries(req.initial_resource_versions)) {
        const held = parseVersion(version);
        if (held !== undefined) gate.report(held);
        const entry = ctx.cache.resolve(type, name, namespace).entry;
        if (entry !== undefined && formatVersion(entry.version) === version) state.tracker.assumeAccepted(entry);
      }
    }
    if (added.size > 0) push(state, 'subscribe', added);
  };

  const close = (): void => {
    if (closed) return;
    closed = true;
    gate.close();
    for (const state of types.values()) {
      for (const keys of state.watchKeys.values()) ctx.index.unwatch(stream, state.type, keys);
      ctx.index.watchAll(stream, state.type, false);
    }
    if (node !== undefined) ctx.unregister(stream);
  };

  const stream: AdsStream = {
    id,
    protocol: 'delta',
    onChange: (changed, change) => {
      for (const type of changed) {
        const state = types.get(type);
        if (state !== undefined) push(state, 'change', undefined, change);
      }
    },
    onVersion: flushOwed,
    status: () =>
      streamStatus(ctx, { protocol: 'delta', node, namespace, connectedAt, peer: call.getPeer() }, gate, (type) => {
        const state = types.get(type);
        return state === undefined ? undefined : { tracker: state.tracker, desired: desiredOf(state) };
      }),
  };

  serveCall(call, ctx, () => node?.id, handle, close);
  return stream;
}
