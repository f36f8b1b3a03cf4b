import * as grpc from '@grpc/grpc-js';
import type {
  AnyResource,
  DeltaDiscoveryRequest,
  DeltaDiscoveryResponse,
  DiscoveryRequest,
  DiscoveryResponse,
} from './discovery-messages.js';
import { NAMESPACE_METADATA_KEY } from './node-identity.js';
import { shortNameOf, typeUrlOfShortName, type ShortTypeName } from './type-urls.js';
import { xdsProtos } from './xds-protos.js';

/*
 * A light ADS client: it subscribes to names, records every response and answers each one (ACK,
 * or NACK when told to), without the work of a real data plane. For tests and the scale
 * benchmark; grpc-js-xds is the real client.
 */

/** One response as the probe saw it. */
export interface ProbeResponse {
  readonly type: ShortTypeName;
  readonly version: string;
  readonly nonce: string;
  readonly resources: readonly AnyResource[];
  /** Delta only: names the server removed. */
  readonly removed: readonly string[];
  /** performance.timeOrigin + performance.now() when it arrived: comparable across processes. */
  readonly receivedAt: number;
}

export interface AdsProbeOptions {
  readonly node: string;
  readonly namespace?: string;
  readonly protocol?: 'sotw' | 'delta';
  /** Resource names per type, subscribed at once. */
  readonly subscribe?: Partial<Record<ShortTypeName, readonly string[]>>;
  /** The error_detail message to answer a response with (a NACK); undefined ACKs it. */
  readonly reject?: (response: ProbeResponse) => string | undefined;
  /** Keep every response (tests); off, only the last per type is kept (benchmarks). */
  readonly keepAll?: boolean;
  /** State of the world: the versions a resuming client reports in its first request per type. */
  readonly resume?: Partial<Record<ShortTypeName, string>>;
}

export interface AdsProbe {
  readonly responses: readonly ProbeResponse[];
  last(type: ShortTypeName): ProbeResponse | undefined;
  /** Resolves with the first response (already received or coming) that satisfies `test`. */
  next(test: (r: ProbeResponse) => boolean, timeoutMs?: number): Promise<ProbeResponse>;
  /** Replaces the subscribed names of a type (state of the world) or adds them (delta). */
  subscribe(type: ShortTypeName, names: readonly string[]): void;
  /** Resource names of a response, decoded. */
  namesOf(r: ProbeResponse): string[];
  /** A response's resources decoded into plain objects. */
  decode(r: ProbeResponse): Array<Record<string, unknown>>;
  /** Resolves when the stream ends, with its status. */
  readonly ended: Promise<grpc.StatusObject>;
  close(): void;
}

type AdsClient = grpc.Client & {
  StreamAggregatedResources(): grpc.ClientDuplexStream<DiscoveryRequest, DiscoveryResponse>;
  DeltaAggregatedResources(): grpc.ClientDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>;
};

let clientConstructor: grpc.ServiceClientConstructor | undefined;

/**
 * The ADS service for probes: every ACK repeats the subscribed names, so their encoding is kept
 * per list and appended (a repeated field may come in any order), keeping a probe light.
 */
const probeService = (): grpc.ServiceClientConstructor => {
  if (clientConstructor !== undefined) return clientConstructor;
  const service = xdsProtos().adsService;
  const sotw = service.StreamAggregatedResources as unknown as grpc.MethodDefinition<DiscoveryRequest, DiscoveryResponse>;
  const encoded = new WeakMap<readonly string[], Buffer>();
  const requestSerialize = (req: DiscoveryRequest): Buffer => {
    const names = req.resource_names;
    if (names.length < 16) return sotw.requestSerialize(req);
    let bytes = encoded.get(names);
    if (bytes === undefined) encoded.set(names, (bytes = sotw.requestSerialize({ resource_names: names } as unknown as DiscoveryRequest)));
    return Buffer.concat([sotw.requestSerialize({ ...req, resource_names: [] }), bytes]);
  };
  clientConstructor = grpc.makeGenericClientConstructor({ ...service, StreamAggregatedResources: { ...sotw, requestSerialize } } as unknown as grpc.ServiceDefinition, 'AggregatedDiscoveryService');
  return clientConstructor;
};

/** A channel to an ADS server; `ownConnection` gives it its own TCP connection instead of a shared one. */
export function adsClient(address: string, ownConnection = false): grpc.Client {
  const Client = probeService();
  return new Client(address, grpc.credentials.createInsecure(), ownConnection ? { 'grpc.use_local_subchannel_pool': 1 } : {});
}

export function openAdsProbe(client: grpc.Client, opts: AdsProbeOptions): AdsProbe {
  const protos = xdsProtos();
  const ads = client as AdsClient;
  const responses: ProbeResponse[] = [];
  const lastByType = new Map<ShortTypeName, ProbeResponse>();
  const waiters = new Set<{ test: (r: ProbeResponse) => boolean; resolve: (r: ProbeResponse) => void }>();
  const names = new Map<ShortTypeName, readonly string[]>();
  const nonces = new Map<ShortTypeName, string>();
  const versions = new Map<ShortTypeName, string>(Object.entries(opts.resume ?? {}) as Array<[ShortTypeName, string]>);
  const node = {
    id: opts.node,
    metadata: { fields: { [NAMESPACE_METADATA_KEY]: { stringValue: opts.namespace ?? 'default' } } },
  };
  let sentNode = false;
  const nodeOnce = () => {
    if (sentNode) return null;
    sentNode = true;
    return node;
  };
  const delta = opts.protocol === 'delta';
  const sotwCall = delta ? undefined : ads.StreamAggregatedResources();
  const deltaCall = delta ? ads.DeltaAggregatedResources() : undefined;

  const record = (r: ProbeResponse): void => {
    if (opts.keepAll !== false) responses.push(r);
    lastByType.set(r.type, r);
    for (const w of waiters) {
      if (w.test(r)) {
        waiters.delete(w);
        w.resolve(r);
      }
    }
  };

  const sendSotw = (type: ShortTypeName, error?: string): void => {
    sotwCall?.write({
      version_info: versions.get(type) ?? '',
      node: nodeOnce(),
      resource_names: names.get(type) ?? [],
      type_url: typeUrlOfShortName[type],
      response_nonce: nonces.get(type) ?? '',
      error_detail: error === undefined ? null : { code: grpc.status.INVALID_ARGUMENT, message: error },
    });
  };

  sotwCall?.on('data', (msg: DiscoveryResponse) => {
    const type = shortNameOf(msg.type_url);
    if (type === undefined) return;
    const r: ProbeResponse = { type, version: msg.version_info, nonce: msg.nonce, resources: msg.resources, removed: [], receivedAt: performance.timeOrigin + performance.now() };
    const error = opts.reject?.(r);
    nonces.set(type, msg.nonce);
    if (error === undefined) versions.set(type, msg.version_info);
    sendSotw(type, error);
    record(r);
  });
  deltaCall?.on('data', (msg: DeltaDiscoveryResponse) => {
    const type = shortNameOf(msg.type_url);
    if (type === undefined) return;
    const r: ProbeResponse = {
      type,
      version: msg.system_version_info,
      nonce: msg.nonce,
      resources: msg.resources.map((x) => x.resource),
      removed: msg.removed_resources,
      receivedAt: performance.timeOrigin + performance.now(),
    };
    const error = opts.reject?.(r);
    deltaCall.write({
      node: nodeOnce(),
      type_url: msg.type_url,
      resource_names_subscribe: [],
      resource_names_unsubscribe: [],
      initial_resource_versions: {},
      response_nonce: msg.nonce,
      error_detail: error === undefined ? null : { code: grpc.status.INVALID_ARGUMENT, message: error },
    });
    record(r);
  });

  const call = (sotwCall ?? deltaCall) as grpc.ClientDuplexStream<unknown, unknown>;
  const ended = new Promise<grpc.StatusObject>((resolve) => call.on('status', resolve));
  call.on('error', () => undefined);

  const subscribe = (type: ShortTypeName, list: readonly string[]): void => {
    if (deltaCall !== undefined) {
      const before = new Set(names.get(type) ?? []);
      names.set(type, [...before, ...list.filter((n) => !before.has(n))]);
      deltaCall.write({
        node: nodeOnce(),
        type_url: typeUrlOfShortName[type],
        resource_names_subscribe: list.filter((n) => !before.has(n)),
        resource_names_unsubscribe: [],
        initial_resource_versions: {},
        response_nonce: '',
        error_detail: null,
      });
      return;
    }
    names.set(type, list);
    sendSotw(type);
  };
  for (const [type, list] of Object.entries(opts.subscribe ?? {}) as Array<[ShortTypeName, readonly string[]]>) subscribe(type, list);

  return {
    responses,
    last: (type) => lastByType.get(type),
    next: (test, timeoutMs = 10_000) => {
      const seen = responses.find(test);
      if (seen !== undefined) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const waiter = {
          test,
          resolve: (r: ProbeResponse) => {
            clearTimeout(timer);
            resolve(r);
          },
        };
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          reject(new Error(`no matching xDS response within ${timeoutMs} ms for ${opts.node}`));
        }, timeoutMs);
        waiters.add(waiter);
      });
    },
    subscribe,
    namesOf: (r) =>
      r.resources.map((res) => {
        const body = protos.decode(res.type_url, res.value);
        return String(body.name ?? body.cluster_name ?? '');
      }),
    decode: (r) => r.resources.map((res) => protos.decode(res.type_url, res.value)),
    ended,
    close: () => call.cancel(),
  };
}
