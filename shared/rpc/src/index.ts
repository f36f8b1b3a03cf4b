export type {
  ResourceRef,
  ChangeAction,
  ResourceChange,
  ApplyRequest,
  ApplyResponse,
  DeleteRequest,
  DeleteResponse,
  GetRequest,
  GetResponse,
  ListRequest,
  ListResponse,
} from './config-messages.js';
export { configServiceDefinition, CONFIG_SERVICE_NAME } from './config-service.js';
export type { ConfigServiceHandlers } from './config-service.js';
export { createConfigClient } from './config-client.js';
export type { ConfigClient, ConfigClientOptions } from './config-client.js';
export { errorLinesOf, invalidArgument, isServiceError } from './error-lines.js';
export { ACTOR_METADATA_KEY, metadataActor, localActor } from './actor-metadata.js';
export { loadProtoFile, protoRoot } from './proto-package.js';
