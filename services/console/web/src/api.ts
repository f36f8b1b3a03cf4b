// The console's JSON API as the SPA uses it. The token travels only in the authorization header.

export interface ApiFailure {
  readonly status: number;
  readonly code: string;
  readonly lines: readonly string[];
}

export class ApiError extends Error {
  constructor(readonly failure: ApiFailure) {
    super(failure.lines.join('\n'));
  }
}

export interface Position {
  readonly seq: number;
  readonly lastChange: { seq: number; at: string; actor: string } | null;
}

export interface HistoryEntry {
  readonly seq: number;
  readonly at: string;
  readonly actor: string;
  readonly action: string;
  readonly reason?: string;
  readonly rollbackOf?: number;
  readonly resources: ReadonlyArray<{ kind: string; namespace: string; name: string; action: string }>;
}

export interface Finding {
  readonly code: string;
  readonly level: string;
  readonly path: string;
  readonly message: string;
}

export interface ResourceView {
  readonly kind: string;
  readonly namespace: string;
  readonly name: string;
  readonly resourceVersion: number;
  readonly yaml: string;
  readonly findings: readonly Finding[];
}

// The graph's types are the server's own (type-only: nothing of the server is bundled).
import type { TopologyEdge, TopologyNode } from '../../src/topology.js';
export type { Topology, TopologyEdge, TopologyNode, Traffic } from '../../src/topology.js';
import type { ProxyStatusAnswer } from '../../src/mesh-reader.js';
export type { ProxyStatusAnswer } from '../../src/mesh-reader.js';

export interface RouteDestination {
  readonly host: string;
  readonly subset?: string;
  readonly weight: number;
  readonly endpoints: ReadonlyArray<{ address: string; port: number; workload: string }>;
}

export interface HostRouting {
  readonly snapshot: {
    readonly host: string;
    readonly routes: ReadonlyArray<{ name?: string; match: readonly unknown[]; destinations: readonly RouteDestination[] }>;
    readonly warnings: readonly string[];
  };
}

export interface ValueChange {
  readonly path: string;
  readonly before?: unknown;
  readonly after?: unknown;
}

export interface Diff {
  readonly config: ReadonlyArray<{ ref: { kind: string; namespace: string; name: string }; change: string; fields: readonly ValueChange[] }>;
  readonly routing: ReadonlyArray<{ host: string; change: string; fields: readonly ValueChange[] }>;
}

export interface RollbackAnswer {
  readonly sequence: number;
  readonly targetSequence: number;
  readonly changes: ReadonlyArray<{ ref: { kind: string; namespace: string; name: string } | null; action: string }>;
  readonly warnings: readonly string[];
}

export interface ChainVerdict {
  readonly intact: boolean;
  readonly changes: number;
  readonly headSeq?: number;
  readonly headHash?: string;
  readonly firstBreak?: { seq: number; reason: string };
}

export interface WhoAmI {
  readonly actor: string;
  readonly verbs: readonly string[];
  readonly namespaces: readonly string[];
  readonly canRollBack: boolean;
}

const seqQuery = (seq: number | undefined): string => (seq === undefined ? '' : `?seq=${seq}`);

export function createApi(token: string) {
  const call = async <T>(path: string, init: { method?: string; body?: unknown } = {}): Promise<T> => {
    const res = await fetch(`/api/v1${path}`, {
      method: init.method ?? 'GET',
      headers: { authorization: `Bearer ${token}`, ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(init.body !== undefined ? { body: JSON.stringify(init.body) } : {}),
    });
    const body = (await res.json().catch(() => ({}))) as { error?: { code: string; lines: string[] } };
    if (!res.ok) throw new ApiError({ status: res.status, code: body.error?.code ?? 'HTTP', lines: body.error?.lines ?? [`HTTP ${res.status}`] });
    return body as T;
  };
  return {
    whoami: () => call<WhoAmI>('/whoami'),
    history: () => call<{ lastSeq: number; entries: HistoryEntry[] }>('/history'),
    resources: (seq?: number) => call<Position & { resources: ResourceView[] }>(`/resources${seqQuery(seq)}`),
    routes: (seq?: number) => call<Position & { routes: HostRouting[] }>(`/routes${seqQuery(seq)}`),
    topology: (seq?: number) => call<Position & { traffic: 'live' | 'past' | 'unavailable'; nodes: TopologyNode[]; edges: TopologyEdge[] }>(`/topology${seqQuery(seq)}`),
    diff: (from: number, to: number) => call<Position & Diff>(`/diff?from=${from}&to=${to}`),
    audit: () => call<ChainVerdict>('/audit'),
    proxies: (namespace: string, name: string) => call<ProxyStatusAnswer & { at: string }>(`/proxies?namespace=${encodeURIComponent(namespace)}&name=${encodeURIComponent(name)}`),
    rollback: (toSequence: number, reason: string, dryRun: boolean) => call<RollbackAnswer>('/rollback', { method: 'POST', body: { toSequence, reason, dryRun } }),
  };
}

export type ConsoleApi = ReturnType<typeof createApi>;

export const failureLines = (e: unknown): readonly string[] => (e instanceof ApiError ? e.failure.lines : [(e as Error).message]);
