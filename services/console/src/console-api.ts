import * as grpc from '@grpc/grpc-js';
import { isLeft } from 'fp-ts/lib/Either.js';
import { stringify } from 'yaml';
import {
  ALL_NAMESPACES,
  analyzeMesh,
  contentHash,
  deriveSnapshots,
  deriveWorkloadSnapshots,
  diffConfig,
  diffRouting,
  isResourceKind,
  refOf,
  resourceKey,
  scopeAllows,
  storedDocument,
  type ConfigVerb,
  type Diagnostic,
  type MeshState,
} from '@jetmesh/model';
import type { ReplayedPoint } from '@jetmesh/replay';
import { errorLinesOf, isServiceError, type RollbackRequest, type RollbackResponse } from '@jetmesh/rpc';
import { permit, type AccessRefusal, type ConsoleUser } from './console-access.js';
import type { MeshReader } from './mesh-reader.js';
import { buildTopology } from './topology.js';

export interface ApiRequest {
  readonly method: string;
  /** After `/api/v1`. */
  readonly path: string;
  readonly query: URLSearchParams;
  /** The parsed JSON body of a POST. */
  readonly body: unknown;
  readonly user: ConsoleUser;
}

export interface ApiReply {
  readonly status: number;
  readonly body: unknown;
}

/** Sends a rollback to galley as the user (their token, their name). */
export type GalleyRollback = (user: ConsoleUser, req: Partial<RollbackRequest>) => Promise<RollbackResponse>;

/** Every refusal has this shape, so the SPA shows `lines` whatever refused: the console, galley or the bus. */
export const apiError = (status: number, code: string, lines: readonly string[]): ApiReply => ({ status, body: { error: { code, lines } } });

export const refusalReply = (r: AccessRefusal): ApiReply => apiError(r.status, r.code, [r.reason]);

const ok = (body: unknown): ApiReply => ({ status: 200, body });

/** `?seq=N`: a non-negative integer; absent or empty: the end of the log. */
const sequenceParam = (query: URLSearchParams, name: string): number | undefined | ApiReply => {
  const text = query.get(name);
  if (text === null || text === '') return undefined;
  return /^\d+$/.test(text) && Number.isSafeInteger(Number(text)) ? Number(text) : apiError(400, 'INVALID', [`${name}: must be a change sequence (0, 1, 2, …), got ${JSON.stringify(text)}`]);
};

const isReply = (u: unknown): u is ApiReply => typeof u === 'object' && u !== null && 'status' in u && 'body' in u;

/** Where the answer stands in the log, for the SPA's header line. */
const position = (p: ReplayedPoint) => ({ seq: p.state.configSeq, lastChange: p.lastChange ?? null, unknownWorkloads: p.unknownWorkloads });

const grpcStatus: Partial<Record<grpc.status, number>> = {
  [grpc.status.UNAUTHENTICATED]: 401,
  [grpc.status.PERMISSION_DENIED]: 403,
  [grpc.status.NOT_FOUND]: 404,
  [grpc.status.ABORTED]: 409,
  [grpc.status.FAILED_PRECONDITION]: 409,
  [grpc.status.INVALID_ARGUMENT]: 422,
  [grpc.status.UNAVAILABLE]: 502,
  [grpc.status.DEADLINE_EXCEEDED]: 504,
};

/** Galley's refusal in galley's own words (one line per reason), with its status kept. */
const fromGalley = (e: unknown): ApiReply => {
  if (!isServiceError(e)) throw e;
  const lines = errorLinesOf(e);
  const status = grpcStatus[e.code as grpc.status] ?? 502;
  return apiError(status, grpc.status[e.code] ?? 'UNKNOWN', lines.length > 0 ? lines : [e.details || grpc.status[e.code] || 'galley failed']);
};

const findingsByResource = (state: MeshState): Map<string, Diagnostic[]> => {
  const out = new Map<string, Diagnostic[]>();
  for (const d of analyzeMesh({ state })) {
    const key = resourceKey(d.ref);
    out.set(key, [...(out.get(key) ?? []), d]);
  }
  return out;
};

/**
 * The console's JSON API. Reads replay the log with @jetmesh/replay (the CLI's `at`, `diff`,
 * `history` and `audit verify` computations); the one write, rollback, is galley's.
 */
export function createConsoleApi(reader: MeshReader, galleyRollback: GalleyRollback): (req: ApiRequest) => Promise<ApiReply> {
  const replayOne = async (seq: number | undefined): Promise<ReplayedPoint | ApiReply> => {
    const replayed = await reader.replay([seq]);
    if (isLeft(replayed)) return apiError(404, replayed.left.code, [replayed.left.reason]);
    return replayed.right[0]!;
  };

  const routes: Record<string, (req: ApiRequest) => Promise<ApiReply>> = {
    'GET /whoami': async ({ user }) =>
      ok({
        actor: user.actor,
        namespaces: user.scope.namespaces,
        verbs: user.scope.verbs,
        canRollBack: scopeAllows(user.scope, 'apply', ALL_NAMESPACES) && scopeAllows(user.scope, 'delete', ALL_NAMESPACES),
      }),

    'GET /history': async () => {
      const [entries, lastSeq] = await Promise.all([reader.history(), reader.lastSequence()]);
      return ok({ lastSeq, entries });
    },

    'GET /resources': async ({ query }) => {
      const seq = sequenceParam(query, 'seq');
      if (isReply(seq)) return seq;
      const kind = query.get('kind') ?? '';
      if (kind !== '' && !isResourceKind(kind)) return apiError(400, 'INVALID', [`kind: unknown resource kind ${JSON.stringify(kind)}`]);
      const namespace = query.get('namespace') ?? '';
      const at = await replayOne(seq);
      if (isReply(at)) return at;
      const findings = findingsByResource(at.state);
      const resources = [...at.state.resources.values()]
        .filter((s) => (kind === '' || s.resource.kind === kind) && (namespace === '' || refOf(s.resource).namespace === namespace))
        .map((s) => {
          const ref = refOf(s.resource);
          return { ...ref, resourceVersion: s.resourceVersion, yaml: stringify(storedDocument(s)), findings: findings.get(resourceKey(ref)) ?? [] };
        })
        .sort((a, b) => (resourceKey(a) < resourceKey(b) ? -1 : 1));
      return ok({ ...position(at), resources });
    },

    'GET /routes': async ({ query }) => {
      const seq = sequenceParam(query, 'seq');
      if (isReply(seq)) return seq;
      const at = await replayOne(seq);
      if (isReply(at)) return at;
      const version = { config: at.state.configSeq, registry: at.state.registrySeq };
      const snapshots = [...deriveSnapshots(at.state).values()].sort((a, b) => (a.host < b.host ? -1 : 1));
      return ok({ ...position(at), routes: snapshots.map((snapshot) => ({ version, contentHash: contentHash(snapshot), snapshot })) });
    },

    'GET /topology': async ({ query }) => {
      const seq = sequenceParam(query, 'seq');
      if (isReply(seq)) return seq;
      const at = await replayOne(seq);
      if (isReply(at)) return at;
      // Traffic is the last minute's: shown on the mesh as it is now, never on a past moment.
      const live = seq === undefined || seq >= (await reader.lastSequence());
      const [rows, calls] = live ? await Promise.all([reader.traffic(), reader.edgeTraffic()]) : [undefined, undefined];
      const graph = buildTopology(deriveSnapshots(at.state), deriveWorkloadSnapshots(at.state), rows ?? [], calls ?? []);
      return ok({ ...position(at), traffic: !live ? 'past' : rows === undefined ? 'unavailable' : 'live', ...graph });
    },

    'GET /diff': async ({ query }) => {
      const from = sequenceParam(query, 'from');
      if (isReply(from)) return from;
      if (from === undefined) return apiError(400, 'INVALID', ['from: required, a change sequence']);
      const to = sequenceParam(query, 'to');
      if (isReply(to)) return to;
      const replayed = await reader.replay([from, to]);
      if (isLeft(replayed)) return apiError(404, replayed.left.code, [replayed.left.reason]);
      const [a, b] = replayed.right as [ReplayedPoint, ReplayedPoint];
      return ok({ from: position(a), to: position(b), config: diffConfig(a.state, b.state), routing: diffRouting(deriveSnapshots(a.state), deriveSnapshots(b.state)) });
    },

    'GET /audit': async () => ok(await reader.verifyChain()),

    // Live, whatever the slider says: a proxy holds what it holds now.
    'GET /proxies': async ({ query }) => {
      const namespace = query.get('namespace') ?? '';
      const name = query.get('name') ?? '';
      const problems = [...(namespace === '' ? ['namespace: required, the workload\'s namespace'] : []), ...(name === '' ? ['name: required, the workload\'s name'] : [])];
      if (problems.length > 0) return apiError(400, 'INVALID', problems);
      return ok({ at: new Date().toISOString(), ...(await reader.proxyStatus(namespace, name)) });
    },

    'POST /rollback': async ({ body, user }) => {
      const refused = permit(user, [
        { verb: 'apply', namespace: ALL_NAMESPACES },
        { verb: 'delete', namespace: ALL_NAMESPACES },
      ]);
      if (refused !== undefined) return refusalReply(refused);
      const b = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
      const problems = [
        ...(typeof b.toSequence === 'number' && Number.isSafeInteger(b.toSequence) && b.toSequence >= 0 ? [] : ['toSequence: required, a change sequence (0, 1, 2, …)']),
        ...(typeof b.reason === 'string' && b.reason.trim() !== '' ? [] : ['reason: required: say why the configuration is rolled back']),
        ...(typeof b.dryRun === 'boolean' ? [] : ['dryRun: required, true for a preview']),
      ];
      if (problems.length > 0) return apiError(422, 'INVALID', problems);
      try {
        return ok(await galleyRollback(user, { target: 'toSequence', toSequence: b.toSequence as number, only: [], reason: b.reason as string, dryRun: b.dryRun as boolean }));
      } catch (e) {
        return fromGalley(e);
      }
    },
  };

  /** What each route needs of the token: reading everything, except resources of one namespace. */
  const needs = (req: ApiRequest, route: string): Array<{ verb: ConfigVerb; namespace: string }> => {
    if (route === 'GET /whoami' || route === 'POST /rollback') return [];
    const namespace = route === 'GET /resources' || route === 'GET /proxies' ? req.query.get('namespace') || ALL_NAMESPACES : ALL_NAMESPACES;
    return [{ verb: 'read', namespace }];
  };

  return async (req) => {
    const route = `${req.method} ${req.path}`;
    const handler = routes[route];
    if (handler === undefined) {
      const known = Object.keys(routes).some((r) => r.endsWith(` ${req.path}`));
      return known ? apiError(405, 'METHOD_NOT_ALLOWED', [`${req.method} is not allowed on ${req.path}`]) : apiError(404, 'NOT_FOUND', [`no API at ${req.path}`]);
    }
    const refused = permit(req.user, needs(req, route));
    if (refused !== undefined) return refusalReply(refused);
    return handler(req);
  };
}
