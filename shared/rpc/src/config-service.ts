import type * as grpc from '@grpc/grpc-js';
import type {
  ApplyRequest,
  ApplyResponse,
  DeleteRequest,
  DeleteResponse,
  GetRequest,
  GetResponse,
  ListRequest,
  ListResponse,
  AnalyzeRequest,
  AnalyzeResponse,
  RollbackRequest,
  RollbackResponse,
  RepairChainRequest,
  RepairChainResponse,
} from './config-messages.js';
import { loadProtoFile } from './proto-package.js';

/** Galley's implementation of ConfigService; pass it to `server.addService(configServiceDefinition, handlers)`. */
export interface ConfigServiceHandlers extends grpc.UntypedServiceImplementation {
  Apply: grpc.handleUnaryCall<ApplyRequest, ApplyResponse>;
  Delete: grpc.handleUnaryCall<DeleteRequest, DeleteResponse>;
  Get: grpc.handleUnaryCall<GetRequest, GetResponse>;
  List: grpc.handleUnaryCall<ListRequest, ListResponse>;
  Analyze: grpc.handleUnaryCall<AnalyzeRequest, AnalyzeResponse>;
  Rollback: grpc.handleUnaryCall<RollbackRequest, RollbackResponse>;
  RepairChain: grpc.handleUnaryCall<RepairChainRequest, RepairChainResponse>;
}

export const CONFIG_SERVICE_NAME = 'jetmesh.config.v1.ConfigService';

function loadConfigService(): grpc.ServiceDefinition<ConfigServiceHandlers> {
  const service = loadProtoFile('jetmesh/config/v1/config.proto')[CONFIG_SERVICE_NAME];
  if (service === undefined || !('Apply' in service)) throw new Error(`${CONFIG_SERVICE_NAME} missing from config.proto`);
  return service as unknown as grpc.ServiceDefinition<ConfigServiceHandlers>;
}

export const configServiceDefinition = loadConfigService();
