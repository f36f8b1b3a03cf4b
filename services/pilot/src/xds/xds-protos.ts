import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import * as protoLoader from '@grpc/proto-loader';
import { loadProtosWithOptionsSync } from '@grpc/proto-loader/build/src/util.js';
import type { Root, Type } from 'protobufjs';

/*
 * The one place Envoy's protos are loaded: from the copies @grpc/grpc-js-xds ships, never
 * copied into this repository. The ADS service goes through proto-loader's package definition
 * (what grpc-js serves and dials); resources are encoded with the same loader's protobuf root.
 */

const ADS_PROTO = 'envoy/service/discovery/v3/ads.proto';

const RESOURCE_PROTOS = [
  'envoy/config/listener/v3/listener.proto',
  'envoy/config/route/v3/route.proto',
  'envoy/config/cluster/v3/cluster.proto',
  'envoy/config/endpoint/v3/endpoint.proto',
  'envoy/extensions/filters/network/http_connection_manager/v3/http_connection_manager.proto',
  'envoy/extensions/filters/http/router/v3/router.proto',
  'envoy/extensions/filters/http/fault/v3/fault.proto',
  'envoy/extensions/load_balancing_policies/round_robin/v3/round_robin.proto',
  'envoy/extensions/load_balancing_policies/least_request/v3/least_request.proto',
];

const ADS_SERVICE = 'envoy.service.discovery.v3.AggregatedDiscoveryService';

export interface XdsProtos {
  /** `StreamAggregatedResources` and `DeltaAggregatedResources`, for grpc-js servers and clients. */
  readonly adsService: protoLoader.ServiceDefinition;
  /** Encodes a resource given as a plain object (snake_case fields, `@type` on embedded Any values). */
  encode(typeUrl: string, body: object): Buffer;
  /** Decodes a resource into a plain object with embedded Any values expanded (for tests and tools). */
  decode(typeUrl: string, bytes: Uint8Array): Record<string, unknown>;
}

const depsDir = (): string => {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@grpc/grpc-js-xds/package.json')), 'deps');
};

let loaded: XdsProtos | undefined;

/** Loads once per process (about half a second); every later call returns the same protos. */
export function xdsProtos(): XdsProtos {
  loaded ??= load();
  return loaded;
}

function load(): XdsProtos {
  const deps = depsDir();
  const includeDirs = ['envoy-api', 'xds', 'googleapis', 'protoc-gen-validate'].map((d) => join(deps, d));
  const definition = protoLoader.loadSync(ADS_PROTO, { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true, includeDirs });
  const adsService = definition[ADS_SERVICE] as protoLoader.ServiceDefinition | undefined;
  if (adsService === undefined) throw new Error(`${ADS_SERVICE} not found in ${ADS_PROTO} under ${deps}`);
  const root: Root = loadProtosWithOptionsSync(RESOURCE_PROTOS, { keepCase: true, includeDirs });
  const types = new Map<string, Type>();
  const typeOf = (typeUrl: string): Type => {
    let type = types.get(typeUrl);
    if (type === undefined) {
      type = root.lookupType(typeUrl.slice(typeUrl.lastIndexOf('/') + 1));
      types.set(typeUrl, type);
    }
    return type;
  };
  return {
    adsService,
    encode: (typeUrl, body) => {
      const type = typeOf(typeUrl);
      // fromObject drops unknown keys silently: the translation tests round-trip every field to catch typos.
      return Buffer.from(type.encode(type.fromObject(body)).finish());
    },
    decode: (typeUrl, bytes) => {
      const type = typeOf(typeUrl);
      return type.toObject(type.decode(bytes), { longs: String, enums: String, json: true }) as Record<string, unknown>;
    },
  };
}
