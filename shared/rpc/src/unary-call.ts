import * as grpc from '@grpc/grpc-js';

/**
 * A promise-returning unary method of `definition`, sending `metadata()` and a per-call deadline;
 * failures reject with the grpc ServiceError (code, details). Every typed client is built from it.
 */
export const unaryMethod =
  <Req, Res>(client: grpc.Client, definition: grpc.ServiceDefinition, method: string, metadata: () => grpc.Metadata, deadlineMs: number) =>
  (req: Req): Promise<Res> => {
    const def = definition[method];
    if (def === undefined) throw new Error(`service has no method ${method}`);
    return new Promise((resolve, reject) => {
      client.makeUnaryRequest<Req, Res>(
        def.path,
        def.requestSerialize,
        def.responseDeserialize,
        req,
        metadata(),
        { deadline: Date.now() + deadlineMs },
        (err, res) => (err ? reject(err) : resolve(res as Res)),
      );
    });
  };
