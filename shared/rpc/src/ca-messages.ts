// Messages of proto/istio/v1/auth/ca.proto, proto/jetmesh/ca/v1/ca_admin.proto and bus_credentials.proto
// as @grpc/proto-loader decodes them (camelCase, int64 as number, every field present).
// Keep in step with the .proto files: field comments there.

/** google.protobuf.Struct as proto-loader represents it. */
export interface ProtoStruct {
  fields: Record<string, unknown>;
}

export interface IstioCertificateRequest {
  csr: string;
  /** Seconds; 0 means the CA's default. */
  validityDuration: number;
  metadata: ProtoStruct | null;
}

export interface IstioCertificateResponse {
  /** PEM, leaf first, root last. */
  certChain: string[];
}

export interface CreateTokenRequest {
  namespace: string;
  serviceAccount: string;
  /** Seconds; 0 means the default. */
  ttlSeconds: number;
}

export interface CreateTokenResponse {
  token: string;
  identity: string;
  expiresAt: string;
  tokenId: string;
}

export interface CreateConfigTokenRequest {
  actor: string;
  namespaces: string[];
  verbs: string[];
  /** Seconds; 0 means the default. */
  ttlSeconds: number;
}

export interface CreateConfigTokenResponse {
  token: string;
  actor: string;
  expiresAt: string;
  tokenId: string;
}

export interface RotateRootRequest {
  reason: string;
}

export interface RotateRootResponse {
  newRootId: string;
  oldRootId: string;
  activatesAt: string;
  oldRootRemovedAt: string;
}

export interface CreateBusCredentialsRequest {
  workloadName: string;
  userPublicKey: string;
}

export interface CreateBusCredentialsResponse {
  jwt: string;
  expiresAt: string;
}
