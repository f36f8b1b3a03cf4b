import * as t from 'io-ts';
import { bool, enumOf, intRange, list, nonNegativeInt, str, struct } from '../codec/schema.js';
import { Percent, duration, exportTo, hostname, labels, portNumber, subsetName } from '../codec/istio-fields.js';

/** networking.istio.io DestinationRule: subsets and the traffic policy applied to a host. */

const ConsistentHash = struct(
  'ConsistentHashLB',
  {},
  {
    httpHeaderName: str,
    httpCookie: struct('HTTPCookie', { name: str }, { path: str, ttl: duration }),
    useSourceIp: bool,
    httpQueryParameterName: str,
    minimumRingSize: nonNegativeInt,
  },
  {
    check: (h) =>
      [h.httpHeaderName, h.httpCookie, h.useSourceIp, h.httpQueryParameterName].filter((x) => x !== undefined).length === 1
        ? []
        : [{ path: '', reason: 'must set exactly one of httpHeaderName, httpCookie, useSourceIp, httpQueryParameterName' }],
  },
);

export const LoadBalancerSettings = struct(
  'LoadBalancerSettings',
  {},
  {
    simple: enumOf('SimpleLB', ['UNSPECIFIED', 'LEAST_CONN', 'RANDOM', 'PASSTHROUGH', 'ROUND_ROBIN', 'LEAST_REQUEST'] as const),
    consistentHash: ConsistentHash,
  },
  {
    check: (lb) =>
      lb.simple !== undefined && lb.consistentHash !== undefined
        ? [{ path: '', reason: 'simple and consistentHash are mutually exclusive' }]
        : [],
  },
);
export type LoadBalancerSettings = t.TypeOf<typeof LoadBalancerSettings>;

const ConnectionPool = struct('ConnectionPoolSettings', {}, {
  tcp: struct('TCPSettings', {}, { maxConnections: nonNegativeInt, connectTimeout: duration }),
  http: struct('HTTPSettings', {}, {
    http1MaxPendingRequests: nonNegativeInt,
    http2MaxRequests: nonNegativeInt,
    maxRequestsPerConnection: nonNegativeInt,
    maxRetries: nonNegativeInt,
    idleTimeout: duration,
  }),
});

const OutlierDetection = struct('OutlierDetection', {}, {
  consecutive5xxErrors: nonNegativeInt,
  consecutiveGatewayErrors: nonNegativeInt,
  interval: duration,
  baseEjectionTime: duration,
  maxEjectionPercent: intRange(0, 100),
  minHealthPercent: intRange(0, 100),
});

const ClientTLSSettings = struct('ClientTLSSettings', {}, {
  mode: enumOf('TLSmode', ['DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL'] as const),
  clientCertificate: str,
  privateKey: str,
  caCertificates: str,
  credentialName: str,
  subjectAltNames: list(str),
  sni: str,
});

const PortTrafficPolicy = struct('PortTrafficPolicy', { port: struct('PortSelector', { number: portNumber }, {}) }, {
  loadBalancer: LoadBalancerSettings,
  connectionPool: ConnectionPool,
  outlierDetection: OutlierDetection,
  tls: ClientTLSSettings,
});

export const TrafficPolicy = struct('TrafficPolicy', {}, {
  loadBalancer: LoadBalancerSettings,
  connectionPool: ConnectionPool,
  outlierDetection: OutlierDetection,
  tls: ClientTLSSettings,
  portLevelSettings: list(PortTrafficPolicy),
});
export type TrafficPolicy = t.TypeOf<typeof TrafficPolicy>;

export const Subset = struct('Subset', { name: subsetName }, { labels, trafficPolicy: TrafficPolicy });
export type Subset = t.TypeOf<typeof Subset>;

export const DestinationRuleSpec = struct(
  'DestinationRuleSpec',
  { host: hostname },
  { trafficPolicy: TrafficPolicy, subsets: list(Subset), exportTo, workloadSelector: struct('WorkloadSelector', {}, { matchLabels: labels }) },
  {
    check: (s) => {
      const seen = new Set<string>();
      const problems: Array<{ path: string; reason: string }> = [];
      (s.subsets ?? []).forEach((sub, i) => {
        if (seen.has(sub.name)) problems.push({ path: `subsets[${i}].name`, reason: `duplicate subset "${sub.name}"` });
        seen.add(sub.name);
      });
      return problems;
    },
  },
);
export type DestinationRuleSpec = t.TypeOf<typeof DestinationRuleSpec>;

export { Percent };
