import { durationMs, type Endpoint, type LoadBalancerSettings } from '@jetmesh/model';
import { murmur3 } from './hash.js';
import { cookieOf, headerOf, queryParams, type RequestAttributes } from './request-attributes.js';

/** The algorithm a cluster balances with, as Istio configures Envoy. */
export type LbPolicy = 'ROUND_ROBIN' | 'LEAST_REQUEST' | 'RANDOM' | 'RING_HASH' | 'MAGLEV';

/** What one pick may consult: injected so the balancer stays pure (no clock, no Math.random, no counters of its own). */
export interface PickContext {
  /** From `hashKeyFor`; consistent-hash policies without one pick a random ring position, as Envoy does. */
  readonly hashKey?: string;
  /** Uniform in [0, 1). */
  readonly random01: number;
  /** Requests in flight to an endpoint (LEAST_REQUEST). */
  readonly active?: (endpointKey: string) => number;
  /** Endpoints not to pick: ejected by outlier detection, or tried already by this request's retries. */
  readonly excluded?: (endpointKey: string) => boolean;
}

export interface Balancer {
  readonly policy: LbPolicy;
  /** Undefined when every endpoint is excluded (Istio disables Envoy's panic mode: 503 "no healthy upstream"). */
  pick(ctx: PickContext): Endpoint | undefined;
}

/**
 * An endpoint's identity in a cluster. Address and port alone are not enough: sidecar'd
 * workloads on one host share the service port and differ only by workload (and proxy port).
 */
export const endpointKey = (e: Pick<Endpoint, 'address' | 'port' | 'workload'>): string => `${e.address}:${e.port}#${e.workload}`;

/**
 * Istio's translation of `simple`: unset/UNSPECIFIED is LEAST_REQUEST (Istio's default since 1.14),
 * LEAST_CONN is its deprecated alias; PASSTHROUGH (original destination) balances round robin here.
 */
export function lbPolicyOf(settings: LoadBalancerSettings | undefined): LbPolicy {
  const ch = settings?.consistentHash;
  if (ch !== undefined) return ch.maglev !== undefined ? 'MAGLEV' : 'RING_HASH';
  switch (settings?.simple) {
    case 'RANDOM':
      return 'RANDOM';
    case 'ROUND_ROBIN':
    case 'PASSTHROUGH':
      return 'ROUND_ROBIN';
    default:
      return 'LEAST_REQUEST';
  }
}

/** Envoy's defaults: ring hash minimum 1024 entries, Maglev table 65537 (prime). */
export const DEFAULT_MINIMUM_RING_SIZE = 1024;
export const DEFAULT_MAGLEV_TABLE_SIZE = 65537;

export function createBalancer(settings: LoadBalancerSettings | undefined, endpoints: readonly Endpoint[]): Balancer {
  const policy = lbPolicyOf(settings);
  switch (policy) {
    case 'ROUND_ROBIN':
      return roundRobin(endpoints);
    case 'RANDOM':
      return { policy, pick: (ctx) => weightedRandom(candidates(endpoints, ctx), ctx.random01, weightOf) };
    case 'LEAST_REQUEST':
      return leastRequest(endpoints);
    case 'RING_HASH': {
      const ch = settings?.consistentHash;
      return ringHash(endpoints, ch?.ringHash?.minimumRingSize || ch?.minimumRingSize || DEFAULT_MINIMUM_RING_SIZE);
    }
    case 'MAGLEV':
      return maglev(endpoints, settings?.consistentHash?.maglev?.tableSize || DEFAULT_MAGLEV_TABLE_SIZE);
  }
}

const weightOf = (e: Endpoint): number => (e.weight !== undefined && e.weight > 0 ? e.weight : 1);

const candidates = (endpoints: readonly Endpoint[], ctx: PickContext): readonly Endpoint[] =>
  ctx.excluded === undefined ? endpoints : endpoints.filter((e) => !ctx.excluded?.(endpointKey(e)));

function weightedRandom(list: readonly Endpoint[], random01: number, weight: (e: Endpoint) => number): Endpoint | undefined {
  let total = 0;
  for (const e of list) total += weight(e);
  let target = unit(random01) * total;
  for (const e of list) {
    target -= weight(e);
    if (target < 0) return e;
  }
  return list[list.length - 1];
}

const unit = (r: number): number => (Number.isFinite(r) ? Math.min(Math.max(r, 0), 1 - Number.EPSILON) : 0);

/** Smooth weighted round robin (nginx's): equal weights give strict rotation, weights interleave evenly. */
function roundRobin(endpoints: readonly Endpoint[]): Balancer {
  const current = endpoints.map(() => 0);
  const total = endpoints.reduce((s, e) => s + weightOf(e), 0);
  return {
    policy: 'ROUND_ROBIN',
    pick(ctx) {
      for (let attempt = 0; attempt < endpoints.length; attempt++) {
        let best = -1;
        for (let i = 0; i < endpoints.length; i++) {
          current[i] = (current[i] ?? 0) + weightOf(endpoints[i] as Endpoint);
          if (best === -1 || (current[i] ?? 0) > (current[best] ?? 0)) best = i;
        }
        if (best === -1) return undefined;
        current[best] = (current[best] ?? 0) - total;
        const chosen = endpoints[best] as Endpoint;
        if (ctx.excluded === undefined || !ctx.excluded(endpointKey(chosen))) return chosen;
      }
      return undefined;
    },
  };
}

/**
 * Envoy's LEAST_REQUEST: with equal weights, power of two choices (two random picks, the one with
 * fewer active requests; a tie keeps the first); with unequal weights, weight / (active + 1).
 * The second random number is the fractional remainder of the first (uniform and independent of it).
 */
function leastRequest(endpoints: readonly Endpoint[]): Balancer {
  const equalWeights = endpoints.every((e) => weightOf(e) === weightOf(endpoints[0] as Endpoint));
  return {
    policy: 'LEAST_REQUEST',
    pick(ctx) {
      const list = candidates(endpoints, ctx);
      if (list.length <= 1) return list[0];
      const active = (e: Endpoint): number => ctx.active?.(endpointKey(e)) ?? 0;
      if (!equalWeights) return weightedRandom(list, ctx.random01, (e) => weightOf(e) / (active(e) + 1));
      const scaled = unit(ctx.random01) * list.length;
      const first = list[Math.floor(scaled)] as Endpoint;
      const second = list[Math.min(list.length - 1, Math.floor((scaled - Math.floor(scaled)) * list.length))] as Endpoint;
      return active(second) < active(first) ? second : first;
    },
  };
}

const RING_MAX_POINTS_PER_ENDPOINT = 65_536;
/** The ring reaches minimumRingSize at this many unit-weight endpoints. */
const RING_REFERENCE_ENDPOINTS = 8;

/**
 * A consistent-hash ring. Unlike Envoy, an endpoint's points depend only on itself and its weight
 * (never on how many others there are), so removing an endpoint moves exactly the keys it held.
 * An excluded endpoint is skipped by walking on clockwise, as Envoy's ring does for retries.
 */
function ringHash(endpoints: readonly Endpoint[], minimumRingSize: number): Balancer {
  const perUnit = Math.max(1, Math.ceil(minimumRingSize / RING_REFERENCE_ENDPOINTS));
  const points: Array<{ hash: number; endpoint: Endpoint }> = [];
  for (const e of endpoints) {
    const key = endpointKey(e);
    const n = Math.min(RING_MAX_POINTS_PER_ENDPOINT, Math.ceil(perUnit * weightOf(e)));
    for (let i = 0; i < n; i++) points.push({ hash: murmur3(`${key}_${i}`), endpoint: e });
  }
  // Ties broken by endpoint key so the ring is the same whatever order endpoints arrived in.
  points.sort((a, b) => a.hash - b.hash || (endpointKey(a.endpoint) < endpointKey(b.endpoint) ? -1 : 1));
  return {
    policy: 'RING_HASH',
    pick(ctx) {
      if (points.length === 0) return undefined;
      const h = ctx.hashKey !== undefined ? murmur3(ctx.hashKey) : Math.floor(unit(ctx.random01) * 2 ** 32);
      let lo = 0;
      let hi = points.length;
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if ((points[mid] as { hash: number }).hash < h) lo = mid + 1;
        else hi = mid;
      }
      return walk(points.length, lo, (i) => (points[i] as { endpoint: Endpoint }).endpoint, ctx);
    },
  };
}

function walk(size: number, start: number, at: (i: number) => Endpoint, ctx: PickContext): Endpoint | undefined {
  const seen = new Set<string>();
  for (let step = 0; step < size; step++) {
    const e = at((start + step) % size);
    const key = endpointKey(e);
    if (ctx.excluded === undefined || !ctx.excluded(key)) return e;
    seen.add(key);
    if (seen.size >= size) break;
  }
  return undefined;
}

/** Maglev (Eisenbud et al., as Envoy builds it): a lookup table of a prime size; weights fill it proportionally. */
function maglev(endpoints: readonly Endpoint[], tableSize: number): Balancer {
  const m = tableSize;
  const table: Array<Endpoint | undefined> = new Array<Endpoint | undefined>(m).fill(undefined);
  // Sorted by key: the table must not depend on the order endpoints arrived in.
  const hosts = [...endpoints].sort((a, b) => (endpointKey(a) < endpointKey(b) ? -1 : endpointKey(a) > endpointKey(b) ? 1 : 0));
  if (hosts.length > 0) {
    const maxWeight = Math.max(...hosts.map(weightOf));
    const state = hosts.map((e) => {
      const key = endpointKey(e);
      return { e, offset: murmur3(key, 0) % m, skip: (murmur3(key, 1) % (m - 1)) + 1, next: 0, target: 0, weight: weightOf(e) / maxWeight };
    });
    let filled = 0;
    for (let iteration = 1; filled < m; iteration++) {
      for (const s of state) {
        if (filled >= m) break;
        s.target += s.weight;
        if (s.target < 1) continue;
        s.target -= 1;
        let c = (s.offset + s.next * s.skip) % m;
        while (table[c] !== undefined) {
          s.next++;
          c = (s.offset + s.next * s.skip) % m;
        }
        table[c] = s.e;
        s.next++;
        filled++;
      }
    }
  }
  return {
    policy: 'MAGLEV',
    pick(ctx) {
      if (hosts.length === 0) return undefined;
      const h = ctx.hashKey !== undefined ? murmur3(ctx.hashKey) : Math.floor(unit(ctx.random01) * 2 ** 32);
      return walk(m, h % m, (i) => table[i] as Endpoint, ctx);
    },
  };
}

/** The hash key of a request under a consistentHash policy, and the cookie to set when Envoy would generate one. */
export interface HashKey {
  readonly key: string;
  /** A `Set-Cookie` value for the response: the policy's cookie was absent and has a ttl. */
  readonly setCookie?: string;
}

/**
 * Envoy's hash policies as Istio configures them. Undefined: the request carries no key (the balancer
 * then picks a random ring position). A generated cookie's value hashes the downstream connection's
 * addresses, as Envoy does, so one client connection keeps one endpoint.
 */
export function hashKeyFor(settings: LoadBalancerSettings | undefined, req: RequestAttributes): HashKey | undefined {
  const ch = settings?.consistentHash;
  if (ch === undefined) return undefined;
  if (ch.httpHeaderName !== undefined) {
    const v = headerOf(req.headers, ch.httpHeaderName);
    return v === undefined ? undefined : { key: v };
  }
  if (ch.useSourceIp === true) return req.sourceIp === undefined ? undefined : { key: req.sourceIp };
  if (ch.httpQueryParameterName !== undefined) {
    const v = queryParams(req.path).get(ch.httpQueryParameterName);
    return v === undefined ? undefined : { key: v };
  }
  if (ch.httpCookie !== undefined) {
    const c = ch.httpCookie;
    const v = cookieOf(req.headers, c.name);
    if (v !== undefined) return { key: v };
    if (c.ttl === undefined) return undefined;
    const value = hex32(murmur3(`${req.sourceIp ?? ''}:${req.sourcePort ?? ''}|${req.destinationIp ?? ''}:${req.port}`));
    return { key: value, setCookie: setCookieValue(c.name, value, c.path, durationSeconds(c.ttl), c.attributes) };
  }
  return undefined;
}

const hex32 = (n: number): string => n.toString(16).padStart(8, '0');

/** Envoy's makeSetCookieValue: `name="value"; Max-Age=…; Path=…; HttpOnly` (Max-Age omitted for a 0 ttl: a session cookie). */
function setCookieValue(
  name: string,
  value: string,
  path: string | undefined,
  maxAgeSeconds: number,
  attributes: ReadonlyArray<{ readonly name: string; readonly value?: string }> | undefined,
): string {
  let out = `${name}="${value}"`;
  if (maxAgeSeconds > 0) out += `; Max-Age=${maxAgeSeconds}`;
  if (path !== undefined && path !== '') out += `; Path=${path}`;
  for (const a of attributes ?? []) out += a.value !== undefined && a.value !== '' ? `; ${a.name}=${a.value}` : `; ${a.name}`;
  return `${out}; HttpOnly`;
}

/** A Go-style duration (`10s`, `1m30s`) in whole seconds, rounded down; 0 for anything unreadable. */
export const durationSeconds = (d: string): number => Math.floor((durationMs(d) ?? 0) / 1000);
