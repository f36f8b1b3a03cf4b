import * as grpc from '@grpc/grpc-js';

/** Metadata key of both bearer credentials: a workload's mesh token, or the admin secret. */
export const AUTHORIZATION_METADATA_KEY = 'authorization';

export const bearer = (token: string): string => `Bearer ${token}`;

/** The bearer token of a call, if it sent `authorization: Bearer …`. */
export function metadataBearerToken(call: { readonly metadata: grpc.Metadata }): string | undefined {
  const [value] = call.metadata.get(AUTHORIZATION_METADATA_KEY);
  if (typeof value !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)\s*$/i.exec(value);
  return match?.[1];
}

export interface CaTlsOptions {
  /** PEM roots the client trusts: the mesh trust bundle (`jetmesh ca root`). */
  readonly rootsPem: string;
  /** For renewal over mTLS: the workload's current key and certificate chain (leaf first), PEM. */
  readonly clientKeyPem?: string;
  readonly clientCertChainPem?: string;
}

/** TLS to citadel, verifying its server certificate against the mesh roots. */
export function caChannelCredentials(opts: CaTlsOptions): grpc.ChannelCredentials {
  const key = opts.clientKeyPem === undefined ? null : Buffer.from(opts.clientKeyPem);
  const chain = opts.clientCertChainPem === undefined ? null : Buffer.from(opts.clientCertChainPem);
  return grpc.credentials.createSsl(Buffer.from(opts.rootsPem), key, chain);
}
