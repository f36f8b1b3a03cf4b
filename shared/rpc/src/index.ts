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
  RollbackRequest,
  RollbackResponse,
  Diagnostic,
  AnalyzeRequest,
  AnalyzeResponse,
  RepairChainRequest,
  RepairChainResponse,
  ChainForkMessage,
} from './config-messages.js';
export { configServiceDefinition, CONFIG_SERVICE_NAME } from './config-service.js';
export type { ConfigServiceHandlers } from './config-service.js';
export { createConfigClient } from './config-client.js';
export type { ConfigClient, ConfigClientOptions } from './config-client.js';
export { errorDetails, errorLinesOf, invalidArgument, isServiceError, maxErrorDetailsEncoded, maxErrorLineLength } from './error-lines.js';
export { ACTOR_METADATA_KEY, metadataActor, localActor } from './actor-metadata.js';
export { loadProtoFile, protoRoot } from './proto-package.js';
export type {
  ProtoStruct,
  IstioCertificateRequest,
  IstioCertificateResponse,
  CreateBusCredentialsRequest,
  CreateBusCredentialsResponse,
  CreateConfigTokenRequest,
  CreateConfigTokenResponse,
  CreateTokenRequest,
  CreateTokenResponse,
  RotateRootRequest,
  RotateRootResponse,
} from './ca-messages.js';
export { istioCertificateServiceDefinition, caAdminServiceDefinition, busCredentialsServiceDefinition, ISTIO_CA_SERVICE_NAME, CA_ADMIN_SERVICE_NAME, BUS_CREDENTIALS_SERVICE_NAME } from './ca-service.js';
export type { IstioCertificateServiceHandlers, CaAdminServiceHandlers, BusCredentialsServiceHandlers } from './ca-service.js';
export { createBusCredentialsClient } from './bus-credentials-client.js';
export type { BusCredentialsClient, BusCredentialsClientOptions } from './bus-credentials-client.js';
export { AUTHORIZATION_METADATA_KEY, bearer, metadataBearerToken, caChannelCredentials } from './ca-credentials.js';
export type { CaTlsOptions } from './ca-credentials.js';
export { createCaClient } from './ca-client.js';
export type { CaClient, CaClientOptions } from './ca-client.js';
export { createCaAdminClient } from './ca-admin-client.js';
export type { CaAdminClient, CaAdminClientOptions } from './ca-admin-client.js';
export { checkConfigToken } from './config-token-check.js';
export type { ConfigTokenHolder, ConfigTokenRejection } from './config-token-check.js';
export { createMeshTokenVerifier, MESH_TOKEN_ISSUER, MESH_TOKEN_ALGORITHM, CA_TOKEN_AUDIENCE, TOKEN_CLOCK_TOLERANCE_SECONDS } from './ca-token.js';
export type { MeshTokenClaims, MeshTokenVerifier, TokenRejection, TokenRejectionCode, TokenVerification } from './ca-token.js';
export { listenGrpc, type GrpcListener, type GrpcListenerOptions } from './grpc-listener.js';
