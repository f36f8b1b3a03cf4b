import { Limits } from '@jetmesh/bus';
import * as t from 'io-ts';
import { AdminEnv, MeshPorts, envVar, logLevel, NatsEnv, nonEmptyString, port, positiveInt, type ConfigOf, type EnvCodec } from '@jetmesh/runtime';
import { galleyAuthModes, type GalleyAuthMode } from './caller-identity.js';

const isAuthMode = (u: unknown): u is GalleyAuthMode => typeof u === 'string' && (galleyAuthModes as readonly string[]).includes(u);
const authMode: EnvCodec<GalleyAuthMode> = new t.Type<GalleyAuthMode, string, unknown>(
  'GalleyAuthMode',
  isAuthMode,
  (u, c) => (typeof u === 'string' && isAuthMode(u.trim()) ? t.success(u.trim() as GalleyAuthMode) : t.failure(u, c, `must be one of ${galleyAuthModes.join(', ')}`)),
  String,
);

const KiB = 1024;
const MiB = 1024 * KiB;

export const GALLEY_DEFAULT_PORT = MeshPorts.galleyConfigApi;

/** Galley's whole configuration, read once from the environment by main. */
export const GalleyEnv = {
  ...NatsEnv,
  host: envVar('JETMESH_GALLEY_HOST', nonEmptyString, '127.0.0.1'),
  port: envVar('JETMESH_GALLEY_PORT', port, GALLEY_DEFAULT_PORT),
  // 0: any free port; the admin endpoints are for the local supervisor and scrapers.
  ...AdminEnv,
  logLevel: envVar('JETMESH_LOG_LEVEL', logLevel, 'info'),
  /** A single YAML document above this is refused before it is parsed. */
  maxDocumentBytes: envVar('JETMESH_MAX_DOCUMENT_BYTES', positiveInt, 512 * KiB),
  /** A whole gRPC request (all documents of one apply). */
  maxRequestBytes: envVar('JETMESH_MAX_REQUEST_BYTES', positiveInt, 4 * MiB),
  /** Publish attempts of one change against concurrent writers before ABORTED. */
  publishAttempts: envVar('JETMESH_PUBLISH_ATTEMPTS', positiveInt, 5),
  /** Documents (or refs) of one Apply/Delete: one ChangeSet. */
  maxChangeSetDocuments: envVar('JETMESH_MAX_CHANGESET_DOCUMENTS', positiveInt, 1000),
  /** Encoded bytes of one ChangeSet; above MESH_CONFIG's message limit the stream refuses it anyway. */
  maxChangeSetBytes: envVar('JETMESH_MAX_CHANGESET_BYTES', positiveInt, Limits.configMaxMsgBytes),
  /** required: every call needs a config token minted by citadel; disabled: anyone may write (tests, trusted networks). */
  auth: envVar('JETMESH_GALLEY_AUTH', authMode, 'required'),
  /** A registered proxy no galley replica has heard a heartbeat from for this long (ms) is removed. */
  registryGraceMs: envVar('JETMESH_REGISTRY_GRACE_MS', positiveInt, 30_000),
};

export type GalleyConfig = ConfigOf<typeof GalleyEnv>;
