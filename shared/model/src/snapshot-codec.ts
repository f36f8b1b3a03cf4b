import * as t from 'io-ts';
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import { contentHash } from './canonical-json.js';
import { portNumber } from './codec/istio-fields.js';
import { KitType, NOT_DECODED, decodeWith, enumOf, int, list, nonNegativeInt, num, record, refine, str, struct } from './codec/schema.js';
import { formatInvalid } from './invalid.js';
import { AuthorizationPolicySpec } from './resources/authorization-policy.js';
import { LoadBalancerSettings, TrafficPolicy } from './resources/destination-rule.js';
import { ServerTLSSettings } from './resources/gateway.js';
import { HTTPFaultInjection, HTTPMatchRequest, HTTPRoute, HTTPRouteDestination } from './resources/virtual-service.js';
import type { RoutingSnapshot, VersionedSnapshot } from './routing-snapshot.js';
import { checkSnapshot, checkWorkloadSnapshot, type SnapshotInconsistency } from './snapshot-consistency.js';
import type { VersionedWorkloadSnapshot, WorkloadSnapshot } from './workload-snapshot.js';

/*
 * What a proxy checks a mesh_snapshots value with before applying it: the shape (every problem
 * named by its path), the content hash, and the consistency rules pilot checked before
 * publishing. Istio fields inside (matches, policies, CORS, header edits) are checked by the
 * resource codecs themselves, so a proxy never compiles a regex galley would have refused.
 * Unknown fields of the snapshot's own structure are dropped, not refused: a newer pilot may add some.
 */

type Fields = Record<string, t.Mixed>;

const isPlainObject = (u: unknown): u is Record<string, unknown> => typeof u === 'object' && u !== null && !Array.isArray(u);

/** A struct that ignores fields it does not know (forward compatibility with newer pilots). */
const loose = <R extends Fields, O extends Fields>(name: string, required: R, optional: O) => {
  const inner = struct(name, required, optional);
  const known = new Set([...Object.keys(required), ...Object.keys(optional)]);
  const strip = (u: unknown): unknown =>
    isPlainObject(u) && Object.keys(u).some((k) => !known.has(k)) ? Object.fromEntries(Object.entries(u).filter(([k]) => known.has(k))) : u;
  return new KitType(name, inner.is, (u, c) => inner.validatePaths(strip(u), c), inner.encode, (u) => inner.decodeFast(strip(u)));
};

/**
 * A field checked by the codec of the resource it came from: `{ ...context, [field]: u }` is
 * decoded with `owner`, so the owner's rules (and its paths) apply to the field.
 */
const fieldOf = <A>(name: string, owner: t.Type<Record<string, unknown>, unknown, unknown>, field: string, context: Record<string, unknown>): KitType<A> => {
  const wrap = (u: unknown) => ({ ...context, [field]: u });
  const fast = owner instanceof KitType ? (owner as KitType<Record<string, unknown>, unknown>).decodeFast : undefined;
  return new KitType<A>(
    name,
    (u): u is A => owner.is(wrap(u)),
    (u, c) => {
      // The owner adds `field` to the path itself: validate it one level up.
      const r = owner.validate(wrap(u), c.slice(0, -1));
      return isLeft(r) ? r : t.success(r.right[field] as A);
    },
    t.identity,
    (u) => {
      const v = fast?.(wrap(u)) ?? NOT_DECODED;
      return v === NOT_DECODED ? NOT_DECODED : (v[field] as A);
    },
  );
};

const nonNegative = refine(num, 'NonNegative', (n) => (n < 0 ? 'must be >= 0' : undefined));
const sha256 = refine(str, 'Sha256', (s) => (/^[0-9a-f]{64}$/.test(s) ? undefined : 'must be a SHA-256 in hex'));
const labels = record(str, { reason: 'must be a map of strings' });

const asRoute = HTTPRoute as unknown as t.Type<Record<string, unknown>, unknown, unknown>;
const direct = { directResponse: { status: 200 } };
const RouteHeaders = fieldOf<NonNullable<HTTPRoute['headers']>>('Headers', asRoute, 'headers', direct);
const DestinationHeaders = fieldOf<NonNullable<HTTPRoute['headers']>>(
  'Headers',
  HTTPRouteDestination as unknown as t.Type<Record<string, unknown>, unknown, unknown>,
  'headers',
  { destination: { host: 'destination.invalid' } },
);
const Redirect = fieldOf<NonNullable<HTTPRoute['redirect']>>('HTTPRedirect', asRoute, 'redirect', {});
const Rewrite = fieldOf<NonNullable<HTTPRoute['rewrite']>>('HTTPRewrite', asRoute, 'rewrite', { route: [{ destination: { host: 'destination.invalid' } }] });
const Cors = fieldOf<NonNullable<HTTPRoute['corsPolicy']>>('CorsPolicy', asRoute, 'corsPolicy', direct);
const AuthorizationRules = fieldOf<NonNullable<AuthorizationPolicySpec['rules']>>(
  'Rules',
  AuthorizationPolicySpec as unknown as t.Type<Record<string, unknown>, unknown, unknown>,
  'rules',
  {},
);

// Each field by the DestinationRule's own rules; not the whole: a merge may combine fields one policy could not (tunnel and proxyProtocol).
const asPolicy = TrafficPolicy as unknown as t.Type<Record<string, unknown>, unknown, unknown>;
const policyField = (f: string) => fieldOf<unknown>(f, asPolicy, f, {});
const EffectiveTrafficPolicy = loose(
  'EffectiveTrafficPolicy',
  {},
  {
    loadBalancer: LoadBalancerSettings,
    connectionPool: policyField('connectionPool') as KitType<NonNullable<TrafficPolicy['connectionPool']>>,
    outlierDetection: policyField('outlierDetection') as KitType<NonNullable<TrafficPolicy['outlierDetection']>>,
    tls: policyField('tls') as KitType<NonNullable<TrafficPolicy['tls']>>,
    tunnel: policyField('tunnel') as KitType<NonNullable<TrafficPolicy['tunnel']>>,
    proxyProtocol: policyField('proxyProtocol') as KitType<NonNullable<TrafficPolicy['proxyProtocol']>>,
  },
);

const Endpoint = loose(
  'Endpoint',
  { address: str, port: refine(int, 'Port', (n) => (n < 0 || n > 65535 ? 'must be a port number (0: none)' : undefined)), labels, workload: str },
  { weight: nonNegativeInt, serviceAccount: str, locality: str },
);

const destinationFields = {
  required: { host: str, weight: num, cluster: str, endpoints: list(Endpoint) },
  optional: { subset: str, port: portNumber, loadBalancer: LoadBalancerSettings, trafficPolicy: EffectiveTrafficPolicy, headers: DestinationHeaders },
};
const WeightedDestination = loose('WeightedDestination', destinationFields.required, destinationFields.optional);
const MirrorDestination = loose('MirrorDestination', { ...destinationFields.required, percentage: num }, destinationFields.optional);

const RouteRule = loose(
  'RouteRule',
  { match: list(HTTPMatchRequest), destinations: list(WeightedDestination) },
  {
    name: str,
    timeoutMs: nonNegative,
    retries: loose('Retries', { attempts: nonNegativeInt }, { perTryTimeoutMs: nonNegative, retryOn: str }),
    fault: HTTPFaultInjection,
    redirect: Redirect,
    directResponse: loose('DirectResponse', { status: refine(int, 'Status', (n) => (n < 200 || n > 599 ? 'must be within 200..599' : undefined)) }, { body: str }),
    rewrite: Rewrite,
    headers: RouteHeaders,
    mirrors: list(MirrorDestination),
    corsPolicy: Cors,
  },
);

const Version = loose('SnapshotVersion', { config: nonNegativeInt, registry: nonNegativeInt }, {});

const RoutingSnapshotCodec = loose(
  'RoutingSnapshot',
  {
    host: str,
    ports: list(loose('ServicePort', { number: portNumber, name: str }, { protocol: str, targetPort: portNumber })),
    sources: loose('Sources', {}, { serviceEntry: str, virtualService: str, destinationRule: str }),
    routes: list(RouteRule),
    subsets: list(loose('Subset', { name: str, labels }, {})),
    endpoints: list(Endpoint),
    warnings: list(str),
  },
  { trafficPolicy: TrafficPolicy },
);

const mode = enumOf('MtlsMode', ['STRICT', 'PERMISSIVE', 'DISABLE'] as const);
const WorkloadSnapshotCodec = loose(
  'WorkloadSnapshot',
  {
    workload: loose('Workload', { namespace: str, name: str, labels }, { serviceAccount: str }),
    mtls: loose('InboundMtls', { mode, ports: record(mode), sources: list(str) }, {}),
    authorization: list(
      loose('AppliedAuthorizationPolicy', { source: str, action: enumOf('Action', ['ALLOW', 'DENY', 'AUDIT', 'CUSTOM'] as const), rules: AuthorizationRules }, { provider: str }),
    ),
    gateways: list(
      loose('GatewaySnapshot', {
        source: str,
        servers: list(
          loose(
            'GatewayServer',
            { port: loose('GatewayPort', { number: portNumber, protocol: str, name: str }, { targetPort: portNumber }), hosts: list(str) },
            { tls: ServerTLSSettings, name: str },
          ),
        ),
        routeTables: list(loose('GatewayRouteTable', { host: str, virtualService: str, ports: list(portNumber), routes: list(RouteRule) }, {})),
      }, {}),
    ),
    warnings: list(str),
  },
  {},
);

const versioned = <S extends t.Mixed>(snapshot: S) => loose('VersionedSnapshot', { version: Version, contentHash: sha256, snapshot }, {});
const VersionedRouting = versioned(RoutingSnapshotCodec);
const VersionedWorkload = versioned(WorkloadSnapshotCodec);
// The decoded shapes must be the model's own types: a field added to one and not the other fails to compile.
const _routingShape = (v: t.TypeOf<typeof RoutingSnapshotCodec>): RoutingSnapshot => v;
const _workloadShape = (v: t.TypeOf<typeof WorkloadSnapshotCodec>): WorkloadSnapshot => v;
void _routingShape;
void _workloadShape;

const inconsistency = (p: SnapshotInconsistency): string => `snapshot.${p.path}: ${p.reason}`;

/** Shape, then the hash of the value as sent (unknown fields included, as pilot hashed it). */
const decodeVersioned = <A extends { snapshot: unknown; contentHash: string }>(codec: t.Decoder<unknown, A>, u: unknown): Either<string[], A> => {
  const decoded = decodeWith(codec, u);
  if (isLeft(decoded)) return left(decoded.left.map(formatInvalid));
  const actual = contentHash((u as { snapshot: unknown }).snapshot);
  return actual === decoded.right.contentHash ? right(decoded.right) : left([`contentHash: is ${decoded.right.contentHash}, the snapshot hashes to ${actual}`]);
};

/** A `host.<fqdn>` value a proxy may apply: well formed, untampered, consistent, and for `expectedHost`. */
export const decodeVersionedRoutingSnapshot = (u: unknown, expectedHost: string): Either<string[], VersionedSnapshot> => {
  const decoded = decodeVersioned(VersionedRouting, u);
  if (isLeft(decoded)) return decoded;
  const checked = checkSnapshot(expectedHost, decoded.right.snapshot);
  return isLeft(checked) ? left(checked.left.map(inconsistency)) : right(decoded.right);
};

/** A `workload.<ns>.<name>` value a proxy may apply: well formed, untampered, consistent, and for `expected`. */
export const decodeVersionedWorkloadSnapshot = (
  u: unknown,
  expected: { readonly namespace: string; readonly name: string },
): Either<string[], VersionedWorkloadSnapshot> => {
  const decoded = decodeVersioned(VersionedWorkload, u);
  if (isLeft(decoded)) return decoded;
  const checked = checkWorkloadSnapshot(expected, decoded.right.snapshot);
  return isLeft(checked) ? left(checked.left.map(inconsistency)) : right(decoded.right);
};
