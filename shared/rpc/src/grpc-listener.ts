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

/** What a unary request that is no message of its type decodes to: the handler answers INVALID_ARGUMENT. */
class UndecodableRequest {
  constructor(readonly reason: string) {}
}

/**
 * grpc-js answers a request whose bytes do not decode with INTERNAL, as if the server had failed;
 * it is the caller's input. Unary methods decode to an UndecodableRequest instead, answered
 * INVALID_ARGUMENT naming the method and the decoder's reason, before the handler sees it.
 */
const answeringUndecodable = (
  definition: grpc.ServiceDefinition,
  handlers: grpc.UntypedServiceImplementation,
): [grpc.ServiceDefinition, grpc.UntypedServiceImplementation] => {
  const wrappedDefinition: Record<string, grpc.MethodDefinition<unknown, unknown>> = {};
  const wrappedHandlers: grpc.UntypedServiceImplementation = { ...handlers };
  for (const [name, method] of Object.entries(definition as Record<string, grpc.MethodDefinition<unknown, unknown>>)) {
    const handler = handlers[name] ?? (method.originalName !== undefined ? handlers[method.originalName] : undefined);
    if (method.requestStream || method.responseStream || handler === undefined) {
      wrappedDefinition[name] = method;
      continue;
    }
    wrappedDefinition[name] = {
      ...method,
      requestDeserialize: (bytes: Buffer) => {
        try {
          return method.requestDeserialize(bytes);
        } catch (err) {
          return new UndecodableRequest(`the ${method.path} request does not decode: ${err instanceof Error ? err.message : String(err)}`);
        }
      },
    };
    const unary = handler as grpc.handleUnaryCall<unknown, unknown>;
    const answering: grpc.handleUnaryCall<unknown, unknown> = (call, callback) =>
      call.request instanceof UndecodableRequest ? callback({ code: grpc.status.INVALID_ARGUMENT, details: call.request.reason }) : unary(call, callback);
    wrappedHandlers[name] = answering;
    if (method.originalName !== undefined) wrappedHandlers[method.originalName] = answering;
  }
  return [wrappedDefinition as grpc.ServiceDefinition, wrappedHandlers];
};

/** Binds a gRPC server with the given services: the one way every Jetmesh service listens. */
export async function listenGrpc(opts: GrpcListenerOptions): Promise<GrpcListener> {
  // Channelz (grpc-js's introspection registry) is not served here; its per-call bookkeeping is pure cost.
  const server = new grpc.Server({ 'grpc.max_receive_message_length': opts.maxRequestBytes, 'grpc.enable_channelz': 0 });
  for (const [definition, handlers] of opts.services) server.addService(...answeringUndecodable(definition, handlers));
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
