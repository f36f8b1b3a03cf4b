import * as grpc from '@grpc/grpc-js';
import type { Logger } from '@jetmesh/log';
import { busCredentialsServiceDefinition, caAdminServiceDefinition, istioCertificateServiceDefinition, listenGrpc, type BusCredentialsServiceHandlers, type CaAdminServiceHandlers, type GrpcListener, type IstioCertificateServiceHandlers } from '@jetmesh/rpc';
import type { TlsIdentityProvider } from './tls-identity.js';

export interface CaServerOptions {
  readonly host: string;
  /** 0 picks a free port; the chosen one is returned. */
  readonly port: number;
  readonly maxRequestBytes: number;
}

export type CaServer = GrpcListener;

/**
 * Serves the Istio CA contract, the admin API and workloads' NATS users on one TLS port. Client
 * certificates are requested but not required: a bootstrap call has none, a
 * renewal presents its current one, which counts only if it chains to a root
 * the provider currently trusts.
 */
export async function serveCa(
  handlers: { readonly ca: IstioCertificateServiceHandlers; readonly admin: CaAdminServiceHandlers; readonly bus: BusCredentialsServiceHandlers },
  tls: TlsIdentityProvider,
  opts: CaServerOptions,
  log: Logger,
): Promise<CaServer> {
  const listener = await listenGrpc({
    ...opts,
    credentials: grpc.experimental.createCertificateProviderServerCredentials(tls, tls, false),
    services: [
      [istioCertificateServiceDefinition, handlers.ca],
      [caAdminServiceDefinition, handlers.admin],
      [busCredentialsServiceDefinition, handlers.bus],
    ],
  });
  log.info({ address: listener.address }, 'citadel CA listening (TLS)');
  return listener;
}
