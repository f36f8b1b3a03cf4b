/**
 * Every stream, subject, bucket and limit of the mesh bus, defined once.
 *
 * Subject tokens: a Kubernetes name may contain '.', which would split it into
 * several subject tokens, so '.' is encoded as '_' (never valid in a Kubernetes
 * name, hence reversible). Anything outside [A-Za-z0-9-.] — wildcards '*', '>',
 * whitespace, '_' — is a caller bug (names are validated before they get here)
 * and throws.
 */

const KiB = 1024;
const MiB = 1024 * KiB;

export const Streams = {
  config: 'MESH_CONFIG',
  registry: 'MESH_REGISTRY',
  audit: 'MESH_AUDIT',
} as const;

export const Buckets = {
  snapshots: 'mesh_snapshots',
  /** Every currently trusted root and the token verification keys (JWKS): readable by every proxy. */
  trust: 'mesh_trust',
  /** Citadel's signing keys and CA state: only citadel may read or write it. */
  ca: 'mesh_ca',
  /** Pilot's config checkpoints (state at sequence N), chunked: they only shorten a replay. */
  checkpoints: 'mesh_checkpoints',
} as const;

/** The JetStream stream behind a KV bucket (the KV protocol's naming). */
export function bucketStream(bucket: string): string {
  return `KV_${bucket}`;
}

export const Limits = {
  /** Nats-Msg-Id de-duplication window of every stream (ms). */
  duplicateWindowMs: 2 * 60 * 1000,
  /** A ChangeSet: every resource of one apply. */
  configMaxMsgBytes: 1 * MiB,
  registryMaxMsgBytes: 64 * KiB,
  /** MESH_REGISTRY keeps only the latest event per workload. */
  registryMaxMsgsPerSubject: 1,
  auditMaxMsgBytes: 64 * KiB,
  snapshotMaxValueBytes: 1 * MiB,
  /** Watchers only need the latest snapshot; history lives in MESH_CONFIG. */
  snapshotHistory: 1,
  /** A trust bundle holds a few roots; the CA state a few generations with their keys. */
  trustMaxValueBytes: 256 * KiB,
  caMaxValueBytes: 256 * KiB,
  /** Readers only need the current trust bundle. */
  trustHistory: 1,
  /** Earlier CA states stay readable for a while after a rotation, for diagnosis. */
  caHistory: 10,
  /** One chunk of a checkpoint: well under the server's default max_payload (1 MiB). */
  checkpointChunkBytes: 512 * KiB,
} as const;

const tokenPattern = /^[A-Za-z0-9-.]+$/;

/** One subject token from a name; see the module comment for the encoding. */
export function subjectToken(name: string): string {
  if (!tokenPattern.test(name)) {
    throw new TypeError(`"${name}" cannot be a subject token: expected [A-Za-z0-9-.]+`);
  }
  return name.replaceAll('.', '_');
}

/** Inverse of subjectToken. */
export function nameFromSubjectToken(token: string): string {
  return token.replaceAll('_', '.');
}

/** The subject a KV bucket stores `key` under (the KV protocol's; `>` for every key). */
export const kvSubject = (bucket: string, key: string): string => `$KV.${bucket}.${key}`;

const registryPrefix = 'mesh.registry';
const auditPrefix = 'mesh.audit';
const snapshotUpdatesPrefix = 'mesh.snapshots';
const trustUpdatesPrefix = 'mesh.trust';
const telemetryPrefix = 'mesh.telemetry';
const accessLogPrefix = 'mesh.accesslog';
const spansPrefix = 'mesh.spans';

export const Subjects = {
  config: 'mesh.config',
  registry: (namespace: string, name: string): string =>
    `${registryPrefix}.${subjectToken(namespace)}.${subjectToken(name)}`,
  registryAll: `${registryPrefix}.>`,
  audit: (type: string): string => `${auditPrefix}.${subjectToken(type)}`,
  auditAll: `${auditPrefix}.>`,
  /** Where KV writes to a snapshot key go (the KV protocol's subject). */
  snapshotKey: (key: string): string => kvSubject(Buckets.snapshots, key),
  snapshotKeyAll: kvSubject(Buckets.snapshots, '>'),
  /**
   * The stream republishes every stored snapshot write here, with its revision
   * in the Nats-Sequence header; proxies watch these with core subscriptions.
   */
  snapshotUpdates: (key: string): string => `${snapshotUpdatesPrefix}.${key}`,
  snapshotUpdatesAll: `${snapshotUpdatesPrefix}.>`,
  trustKeyAll: kvSubject(Buckets.trust, '>'),
  /** Like snapshotUpdates, for the trust bundle and token keys every proxy follows. */
  trustUpdates: (key: string): string => `${trustUpdatesPrefix}.${key}`,
  trustUpdatesAll: `${trustUpdatesPrefix}.>`,
  /** A proxy's request reports, per workload (core NATS: telemetry is sampled, not a log). */
  telemetry: (namespace: string, workload: string): string =>
    `${telemetryPrefix}.${subjectToken(namespace)}.${subjectToken(workload)}`,
  telemetryAll: `${telemetryPrefix}.>`,
  /** A proxy's access log lines in small batches (core NATS, best effort: `jetmesh logs` tails them live, nothing stores them). */
  accessLog: (namespace: string, workload: string): string =>
    `${accessLogPrefix}.${subjectToken(namespace)}.${subjectToken(workload)}`,
  accessLogAll: `${accessLogPrefix}.>`,
  /**
   * A proxy's trace spans in small batches (core NATS, best effort); telemetry replicas share them
   * in QueueGroups.telemetry and export them over OTLP. Outside `mesh.telemetry.>`, where the
   * report consumer would take a batch for a malformed report.
   */
  spans: (namespace: string, workload: string): string =>
    `${spansPrefix}.${subjectToken(namespace)}.${subjectToken(workload)}`,
  spansAll: `${spansPrefix}.>`,
  /**
   * A proxy's register/deregister requests to galley's registrar (queue group QueueGroups.registrar).
   * Outside `mesh.registry.>` on purpose: MESH_REGISTRY would store anything published there.
   */
  registryRequests: 'mesh.registrar.requests',
  /** A proxy's signed heartbeats: every galley replica hears each one (no queue group). */
  registryHeartbeats: 'mesh.registrar.heartbeats',
  /**
   * Request/reply with no queue group: every replica of every control-plane service answers with
   * its name, version, readiness and log position (`jetmesh status`, answerServiceStatus).
   */
  serviceStatus: 'mesh.status',
  /** Request/reply with no queue group: every pilot replica answers with its xDS streams (`jetmesh proxy-status`). */
  pilotStatus: 'mesh.pilot.status',
  /**
   * Request/reply with no queue group: every telemetry replica answers with its share of the last
   * minute (`jetmesh top` merges them). Outside `mesh.telemetry.>`, where the replicas' queue
   * subscription would take it for a report.
   */
  telemetryTop: 'mesh.metrics.top',
  /** Like telemetryTop, per edge (caller workload → destination service): the console's topology. */
  telemetryEdges: 'mesh.metrics.edges',
  /**
   * Request/reply with no queue group: every sidecar and gateway proxy the request's body names
   * (empty: all) answers with its applied snapshot revisions and certificate expiry.
   */
  proxyStatus: 'mesh.proxy.status',
} as const;

export const QueueGroups = {
  /** Galley replicas share registration requests: one replica answers each. */
  registrar: 'galley-registrar',
  /** Telemetry replicas share the proxies' reports: each report goes to one replica. */
  telemetry: 'telemetry',
} as const;

/** The workload a registry subject is about, or undefined for any other subject. */
export function parseRegistrySubject(subject: string): { namespace: string; name: string } | undefined {
  const tokens = subject.split('.');
  const [mesh, registry, namespace, name] = tokens;
  if (tokens.length !== 4 || `${mesh}.${registry}` !== registryPrefix || namespace === undefined || name === undefined) {
    return undefined;
  }
  return { namespace: nameFromSubjectToken(namespace), name: nameFromSubjectToken(name) };
}

/** Keys of the mesh_trust bucket. */
export const TrustKeys = {
  /** TrustBundle: every currently trusted root, PEM. */
  roots: 'roots',
  /** The public keys that verify mesh tokens (a JWK set). */
  jwks: 'jwks',
} as const;

const caAuditPrefix = `${auditPrefix}.ca`;
/** Stands in for the namespace and service account of a caller citadel could not identify. */
const unknownIdentityToken = '-';

/**
 * Citadel's audit events (MESH_AUDIT). The caller's namespace and service account
 * are subject tokens, so one identity's history is a server-side filter.
 */
export const CaAuditSubjects = {
  certificateIssued: (namespace: string, serviceAccount: string): string =>
    `${caAuditPrefix}.issued.${subjectToken(namespace)}.${subjectToken(serviceAccount)}`,
  certificateDenied: (caller: { namespace: string; serviceAccount: string } | undefined): string =>
    caller === undefined
      ? `${caAuditPrefix}.denied.${unknownIdentityToken}.${unknownIdentityToken}`
      : `${caAuditPrefix}.denied.${subjectToken(caller.namespace)}.${subjectToken(caller.serviceAccount)}`,
  tokenMinted: (namespace: string, serviceAccount: string): string =>
    `${caAuditPrefix}.token.${subjectToken(namespace)}.${subjectToken(serviceAccount)}`,
  /** A config token (galley's write API): its holder is a person or tool, not a workload identity. */
  configTokenMinted: `${caAuditPrefix}.token.config`,
  rootRotated: `${caAuditPrefix}.root`,
  /** A workload's own NATS user issued (BusCredentialsService), by the caller's identity. */
  busUserIssued: (namespace: string, serviceAccount: string): string =>
    `${caAuditPrefix}.natsuser.${subjectToken(namespace)}.${subjectToken(serviceAccount)}`,
  busUserDenied: (caller: { namespace: string; serviceAccount: string } | undefined): string =>
    caller === undefined
      ? `${caAuditPrefix}.natsuser-denied.${unknownIdentityToken}.${unknownIdentityToken}`
      : `${caAuditPrefix}.natsuser-denied.${subjectToken(caller.namespace)}.${subjectToken(caller.serviceAccount)}`,
  /** Every citadel event about one identity. */
  identity: (namespace: string, serviceAccount: string): string =>
    `${caAuditPrefix}.*.${subjectToken(namespace)}.${subjectToken(serviceAccount)}`,
  all: `${caAuditPrefix}.>`,
} as const;

const configAuditPrefix = `${auditPrefix}.config`;
/** Galley's audit events (MESH_AUDIT): config API calls refused for want of a valid token or of scope. */
export const ConfigAuditSubjects = {
  accessDenied: `${configAuditPrefix}.denied`,
  all: `${configAuditPrefix}.>`,
} as const;
