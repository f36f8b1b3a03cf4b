import * as grpc from '@grpc/grpc-js';
import type { Logger } from '@jetmesh/log';
import { caAdminServiceDefinition, istioCertificateServiceDefinition, type CaAdminServiceHandlers, type IstioCertificateServiceHandlers } from '@jetmesh/rpc';
import type { TlsIdentityProvider } from './tls-identity.js';

export interface CaServerOptions {
  readonly host: string;
  /** 0 picks a free port; the chosen one is returned. */
  readonly port: number;
  readonly maxRequestBytes: number;
}

export interface CaServer {
  /** host:port clients dial. */
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

const CLOSE_GRACE_MS = 5_000;

/**
 * Serves the Istio CA contract and the admin API on one TLS port. Client
 * certificates are requested but not required: a bootstrap call has none, a
 * renewal presents its current one, which counts only if it chains to a root
 * the provider currently trusts.
 */
export async function serveCa(
  handlers: { readonly ca: IstioCertificateServiceHandlers; readonly admin: CaAdminServiceHandlers },
  tls: TlsIdentityProvider,
  opts: CaServerOptions,
  log: Logger,
): Promise<CaServer> {
  const server = new grpc.Server({ 'grpc.max_receive_message_length': opts.maxRequestBytes });
  server.addService(istioCertificateServiceDefinition, handlers.ca);
  server.addService(caAdminServiceDefinition, handlers.admin);
  const credentials = grpc.experimental.createCertificateProviderServerCredentials(tls, tls, false);
  const bindAddress = opts.host.includes(':') && !opts.host.startsWith('[') ? `[${opts.host}]:${opts.port}` : `${opts.host}:${opts.port}`;
  const port = await new Promise<number>((resolve, reject) => server.bindAsync(bindAddress, credentials, (err, bound) => (err ? reject(err) : resolve(bound))));
  const address = bindAddress.replace(/:\d+$/, `:${port}`);
  log.info({ address }, 'citadel CA listening (TLS)');
  return {
    address,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(() => server.forceShutdown(), CLOSE_GRACE_MS);
        server.tryShutdown(() => {
          clearTimeout(timer);
          resolve();
        });
      }),
  };
}
