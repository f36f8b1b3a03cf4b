import * as grpc from '@grpc/grpc-js';
import type { Logger } from '@jetmesh/log';
import { configServiceDefinition, type ConfigServiceHandlers } from '@jetmesh/rpc';

export interface GrpcServerOptions {
  readonly host: string;
  /** 0 picks a free port; the chosen one is returned. */
  readonly port: number;
  /** Largest request accepted (all documents of one apply). */
  readonly maxRequestBytes: number;
}

export interface GrpcServer {
  /** host:port clients dial. */
  readonly address: string;
  readonly port: number;
  close(): Promise<void>;
}

/** In-flight calls get this long to finish on close before they are cut. */
const CLOSE_GRACE_MS = 5_000;

/** Serves ConfigService over plaintext gRPC (galley listens on loopback or inside the mesh). */
export async function serveConfigService(handlers: ConfigServiceHandlers, opts: GrpcServerOptions, log: Logger): Promise<GrpcServer> {
  const server = new grpc.Server({ 'grpc.max_receive_message_length': opts.maxRequestBytes });
  server.addService(configServiceDefinition, handlers);
  const bindAddress = opts.host.includes(':') && !opts.host.startsWith('[') ? `[${opts.host}]:${opts.port}` : `${opts.host}:${opts.port}`;
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(bindAddress, grpc.ServerCredentials.createInsecure(), (err, bound) => (err ? reject(err) : resolve(bound))),
  );
  const address = bindAddress.replace(/:\d+$/, `:${port}`);
  log.info({ address }, 'galley config API listening');
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
