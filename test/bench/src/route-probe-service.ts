import type * as grpc from '@grpc/grpc-js';

/** The one unary method the xds-route bench's backends serve (JSON bodies, no .proto): the answer names the backend. */
export interface RouteProbeReply {
  readonly version: string;
}

const json = {
  serialize: (value: unknown): Buffer => Buffer.from(JSON.stringify(value)),
  deserialize: (bytes: Buffer): unknown => JSON.parse(bytes.toString('utf8')),
};

export const routeProbeService: grpc.ServiceDefinition = {
  Get: {
    path: '/jetmesh.bench.RouteProbe/Get',
    requestStream: false,
    responseStream: false,
    requestSerialize: json.serialize,
    requestDeserialize: json.deserialize,
    responseSerialize: json.serialize,
    responseDeserialize: json.deserialize,
  },
};
