import * as grpc from '@grpc/grpc-js';

export interface GrpcListenerOptions {
  readonly host: string;
  /** 0 picks a free port; the chosen one is returned. */
  readonly port: number;
  /** Largest request accepted. */
  readonly maxRequestBytes: number;
  readonly credentials: grpc.ServerCredentials;
  /** Each service definition with its handlers. */
  readonly services: ReadonlyArray<readonly [grpc.ServiceDefinition, grpc.UntypedServiceImplementation]>;
}

export interface GrpcListener {
  /** host:port clients dial. */
  readonly address: string;
  readonly port: number;
  /** Lets in-flight calls finish (bounded), then stops. */
  close(): Promise<void>;
}

/**
 * In-flight calls get this long to finish on close before they are cut: under a shutdown step's
 * bound (SHUTDOWN_STEP_TIMEOUT_MS, 5 s), so the cut, not the step's timeout, ends a slow call.
 */
const CLOSE_GRACE_MS = 4_000;

/** Binds a gRPC server with the given services: the one way every Jetmesh service listens. */
export async function listenGrpc(opts: GrpcListenerOptions): Promise<GrpcListener> {
  // Channelz (grpc-js's introspection registry) is not served here; its per-call bookkeeping is pure cost.
  const server = new grpc.Server({ 'grpc.max_receive_message_length': opts.maxRequestBytes, 'grpc.enable_channelz': 0 });
  for (const [definition, handlers] of opts.services) server.addService(definition, handlers);
  const bindAddress = opts.host.includes(':') && !opts.host.startsWith('[') ? `[${opts.host}]:${opts.port}` : `${opts.host}:${opts.port}`;
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync(bindAddress, opts.credentials, (err, bound) => (err ? reject(err) : resolve(bound))),
  );
  return {
    address: bindAddress.replace(/:\d+$/, `:${port}`),
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
