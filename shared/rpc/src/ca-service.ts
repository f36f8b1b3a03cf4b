import type * as grpc from '@grpc/grpc-js';
import type {
  CreateBusCredentialsRequest,
  CreateBusCredentialsResponse,
  CreateConfigTokenRequest,
  CreateConfigTokenResponse,
  CreateTokenRequest,
  CreateTokenResponse,
  IstioCertificateRequest,
  IstioCertificateResponse,
  RotateRootRequest,
  RotateRootResponse,
} from './ca-messages.js';
import { loadProtoFile } from './proto-package.js';

/** Istio's CA contract, as an unmodified Istio agent calls it. */
export const ISTIO_CA_SERVICE_NAME = 'istio.v1.auth.IstioCertificateService';
/** Citadel's admin API on the same port. */
export const CA_ADMIN_SERVICE_NAME = 'jetmesh.ca.v1.CaAdminService';
/** A workload's NATS user, minted for its certificate's identity, on the same port. */
export const BUS_CREDENTIALS_SERVICE_NAME = 'jetmesh.ca.v1.BusCredentialsService';

export interface IstioCertificateServiceHandlers extends grpc.UntypedServiceImplementation {
  CreateCertificate: grpc.handleUnaryCall<IstioCertificateRequest, IstioCertificateResponse>;
}

export interface CaAdminServiceHandlers extends grpc.UntypedServiceImplementation {
  CreateToken: grpc.handleUnaryCall<CreateTokenRequest, CreateTokenResponse>;
  RotateRoot: grpc.handleUnaryCall<RotateRootRequest, RotateRootResponse>;
  CreateConfigToken: grpc.handleUnaryCall<CreateConfigTokenRequest, CreateConfigTokenResponse>;
}

export interface BusCredentialsServiceHandlers extends grpc.UntypedServiceImplementation {
  CreateBusCredentials: grpc.handleUnaryCall<CreateBusCredentialsRequest, CreateBusCredentialsResponse>;
}

function loadService<H extends grpc.UntypedServiceImplementation>(file: string, name: string, method: string): grpc.ServiceDefinition<H> {
  const service = loadProtoFile(file)[name];
  if (service === undefined || !(method in service)) throw new Error(`${name} missing from ${file}`);
  return service as unknown as grpc.ServiceDefinition<H>;
}

export const istioCertificateServiceDefinition = loadService<IstioCertificateServiceHandlers>(
  'istio/v1/auth/ca.proto',
  ISTIO_CA_SERVICE_NAME,
  'CreateCertificate',
);

export const caAdminServiceDefinition = loadService<CaAdminServiceHandlers>('jetmesh/ca/v1/ca_admin.proto', CA_ADMIN_SERVICE_NAME, 'CreateToken');

export const busCredentialsServiceDefinition = loadService<BusCredentialsServiceHandlers>('jetmesh/ca/v1/bus_credentials.proto', BUS_CREDENTIALS_SERVICE_NAME, 'CreateBusCredentials');
