import * as grpc from '@grpc/grpc-js';
import type { Logger } from '@jetmesh/log';
import { configServiceDefinition, listenGrpc, type ConfigServiceHandlers, type GrpcListener } from '@jetmesh/rpc';

export interface GrpcServerOptions {
  readonly host: string;
  /** 0 picks a free port; the chosen one is returned. */
  readonly port: number;
  /** Largest request accepted (all documents of one apply). */
  readonly maxRequestBytes: number;
}

export type GrpcServer = GrpcListener;

/** Serves ConfigService over plaintext gRPC (galley listens on loopback or inside the mesh). */
export async function serveConfigService(handlers: ConfigServiceHandlers, opts: GrpcServerOptions, log: Logger): Promise<GrpcServer> {
  const listener = await listenGrpc({ ...opts, credentials: grpc.ServerCredentials.createInsecure(), services: [[configServiceDefinition, handlers]] });
  log.info({ address: listener.address }, 'galley config API listening');
  return listener;
}
