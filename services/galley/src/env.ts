import { Limits } from '@jetmesh/bus';
import { envVar, logLevel, natsUrl, nonEmptyString, port, positiveInt, type ConfigOf } from '@jetmesh/runtime';

const KiB = 1024;
const MiB = 1024 * KiB;

export const GALLEY_DEFAULT_PORT = 15017;

/** Galley's whole configuration, read once from the environment by main. */
export const GalleyEnv = {
  natsUrl: envVar('JETMESH_NATS_URL', natsUrl, 'nats://127.0.0.1:4222'),
  host: envVar('JETMESH_GALLEY_HOST', nonEmptyString, '127.0.0.1'),
  port: envVar('JETMESH_GALLEY_PORT', port, GALLEY_DEFAULT_PORT),
  // 0: any free port; the admin endpoints are for the local supervisor and scrapers.
  adminPort: envVar('JETMESH_ADMIN_PORT', port, 0),
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
};

export type GalleyConfig = ConfigOf<typeof GalleyEnv>;
