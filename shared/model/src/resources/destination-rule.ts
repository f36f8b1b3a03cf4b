import { emptySelectorWarning } from './schema-warning.js';
import * as t from 'io-ts';
import { bool, enumOf, intRange, list, num, record, refine, str, struct } from '../codec/schema.js';
import { MatchLabelsSelector, Percent, duration, durationOrZero, exportTo, fqdnReason, int32, ipAddressReason, labels, portNumber, subsetName, uint32, uint64, wildcardDomain } from '../codec/istio-fields.js';

/** networking.istio.io DestinationRule: subsets and the traffic policy applied to a host, with Istio's webhook rules. */

type Problems = Array<{ path: string; reason: string }>;

/** Envoy's Maglev needs a prime table size below 5000011. */
const isPrime = (n: number): boolean => {
  if (n < 2) return false;
  for (let f = 2; f * f <= n; f++) if (n % f === 0) return false;
  return true;
};
const maglevTableSize = refine(uint64, 'MaglevTableSize', (n) =>
  n === 0 ? 'must be set' : n >= 5000011 ? 'must be less than 5000011' : isPrime(n) ? undefined : 'must be a prime number',
);

const ConsistentHash = struct(
  'ConsistentHashLB',
  {},
  {
    httpHeaderName: str,
    httpCookie: struct('HTTPCookie', { name: refine(str, 'CookieName', (n) => (n === '' ? 'must not be empty' : undefined)) }, {
      path: str,
      ttl: durationOrZero,
      attributes: list(struct('HTTPCookieAttribute', { name: str }, { value: str })),
    }),
    useSourceIp: bool,
    httpQueryParameterName: str,
    ringHash: struct('RingHash', {}, { minimumRingSize: uint64 }),
    maglev: struct('MagLev', { tableSize: maglevTableSize }, {}),
    minimumRingSize: uint64,
  },
  {
    check: (h) => {
      const problems: Problems = [];
      if ([h.httpHeaderName, h.httpCookie, h.useSourceIp, h.httpQueryParameterName].filter((x) => x !== undefined).length !== 1) {
        problems.push({ path: '', reason: 'must set exactly one of httpHeaderName, httpCookie, useSourceIp, httpQueryParameterName' });
      }
      if (h.ringHash !== undefined && h.maglev !== undefined) problems.push({ path: '', reason: 'ringHash and maglev are mutually exclusive' });
      if (h.minimumRingSize !== undefined && (h.ringHash !== undefined || h.maglev !== undefined)) {
        problems.push({ path: 'minimumRingSize', reason: 'is deprecated and cannot be combined with ringHash or maglev' });
      }
      return problems;
    },
  },
);

const localityWeights = record(intRange(0, 100), { name: 'LocalityWeights', reason: 'must be a map of locality to weight' });
const LocalityLbSetting = struct(
  'LocalityLoadBalancerSetting',
  {},
  {
    distribute: list(struct('Distribute', {}, { from: str, to: localityWeights }, {
      check: (d) => {
        const total = Object.values(d.to ?? {}).reduce((s, w) => s + w, 0);
        return d.to !== undefined && total !== 100 ? [{ path: 'to', reason: `weights must add up to 100 (they add up to ${total})` }] : [];
      },
    })),
    failover: list(struct('Failover', {}, { from: str, to: str }, {
      check: (f) => (f.from !== undefined && f.from === f.to ? [{ path: 'to', reason: 'must differ from "from": failover to the same region does nothing' }] : []),
    })),
    failoverPriority: list(str),
    enabled: bool,
  },
  {
    check: (l) =>
      l.distribute !== undefined && (l.failover !== undefined || l.failoverPriority !== undefined)
        ? [{ path: '', reason: 'distribute cannot be combined with failover or failoverPriority' }]
        : [],
  },
);

/** Slow start for new endpoints (Envoy's slow_start_config). */
const Warmup = struct(
  'WarmupConfiguration',
  { duration },
  {
    minimumPercent: refine(num, 'MinimumPercent', (n) => (n < 0 || n > 100 ? 'must be between 0 and 100' : undefined)),
    aggression: refine(num, 'Aggression', (n) => (n <= 0 ? 'must be greater than 0' : undefined)),
  },
);

// Istio refuses topology labels here: region, zone and subzone ordering is what zone-aware LB does anyway.
const TOPOLOGY_LABELS = ['topology.kubernetes.io/region', 'topology.kubernetes.io/zone', 'topology.istio.io/subzone'];
const ZoneAwareLbSetting = struct(
  'ZoneAwareLoadBalancerSetting',
  {},
  {
    enabled: bool,
    failover: list(struct('Failover', {}, { from: str, to: str }, {
      check: (f) => (f.from !== undefined && f.from === f.to ? [{ path: 'to', reason: 'must differ from "from": failover to the same region does nothing' }] : []),
    })),
    failoverPriority: list(refine(str, 'FailoverPriority', (l) => (TOPOLOGY_LABELS.includes(l) ? `must not be the topology label "${l}": zone-aware load balancing orders by region and zone already` : undefined))),
  },
);

export const LoadBalancerSettings = struct(
  'LoadBalancerSettings',
  {},
  {
    simple: enumOf('SimpleLB', ['UNSPECIFIED', 'LEAST_CONN', 'RANDOM', 'PASSTHROUGH', 'ROUND_ROBIN', 'LEAST_REQUEST'] as const),
    consistentHash: ConsistentHash,
    localityLbSetting: LocalityLbSetting,
    zoneAwareLbSetting: ZoneAwareLbSetting,
    warmupDurationSecs: duration,
    warmup: Warmup,
  },
  {
    check: (lb) => [
      ...(lb.simple !== undefined && lb.consistentHash !== undefined ? [{ path: '', reason: 'simple and consistentHash are mutually exclusive' }] : []),
      ...(lb.localityLbSetting !== undefined && lb.zoneAwareLbSetting !== undefined ? [{ path: '', reason: 'only one of localityLbSetting and zoneAwareLbSetting can be set' }] : []),
    ],
  },
);
export type LoadBalancerSettings = t.TypeOf<typeof LoadBalancerSettings>;

const atLeastOne = (what: string) => (o: object): Problems => (Object.keys(o).length === 0 ? [{ path: '', reason: `${what} must set at least one field` }] : []);

const TcpKeepalive = struct('TcpKeepalive', {}, { probes: uint32, time: duration, interval: duration });
export const ConnectionPoolSettings = struct(
  'ConnectionPoolSettings',
  {},
  {
    tcp: struct('TCPSettings', {}, { maxConnections: int32, connectTimeout: duration, tcpKeepalive: TcpKeepalive, maxConnectionDuration: duration, idleTimeout: duration }),
    http: struct(
      'HTTPSettings',
      {},
      {
        http1MaxPendingRequests: int32,
        http2MaxRequests: int32,
        maxRequestsPerConnection: int32,
        maxRetries: int32,
        idleTimeout: duration,
        h2UpgradePolicy: enumOf('H2UpgradePolicy', ['DEFAULT', 'DO_NOT_UPGRADE', 'UPGRADE'] as const),
        useClientProtocol: bool,
        maxConcurrentStreams: int32,
        http2KeepAlive: struct('ConnectionKeepalive', { interval: duration, timeout: duration }, {}),
      },
      {
        check: (h) =>
          h.h2UpgradePolicy === 'UPGRADE' && h.useClientProtocol === true ? [{ path: 'useClientProtocol', reason: 'must not be true when h2UpgradePolicy is UPGRADE' }] : [],
      },
    ),
  },
  { check: atLeastOne('a connection pool') },
);

const OutlierDetection = struct(
  'OutlierDetection',
  {},
  {
    splitExternalLocalOriginErrors: bool,
    consecutiveLocalOriginFailures: uint32,
    consecutiveGatewayErrors: uint32,
    consecutive5xxErrors: uint32,
    consecutiveErrors: int32,
    interval: duration,
    baseEjectionTime: duration,
    maxEjectionPercent: intRange(0, 100),
    minHealthPercent: intRange(0, 100),
  },
  {
    check: (o) => {
      const problems: Problems = [];
      if ((o.consecutiveLocalOriginFailures ?? 0) > 0 && o.splitExternalLocalOriginErrors !== true) {
        problems.push({ path: 'consecutiveLocalOriginFailures', reason: 'needs splitExternalLocalOriginErrors: true' });
      }
      if (o.consecutiveErrors !== undefined && (o.consecutive5xxErrors !== undefined || o.consecutiveGatewayErrors !== undefined)) {
        problems.push({ path: 'consecutiveErrors', reason: 'is deprecated and cannot be combined with consecutive5xxErrors or consecutiveGatewayErrors' });
      }
      return problems;
    },
  },
);

export const ClientTLSSettings = struct(
  'ClientTLSSettings',
  {},
  {
    mode: enumOf('TLSmode', ['DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL'] as const),
    clientCertificate: str,
    privateKey: str,
    caCertificates: str,
    credentialName: str,
    subjectAltNames: list(str),
    sni: str,
    insecureSkipVerify: bool,
    caCrl: str,
  },
  {
    check: (tls) => {
      const problems: Problems = [];
      const files = { clientCertificate: tls.clientCertificate, privateKey: tls.privateKey, caCertificates: tls.caCertificates, caCrl: tls.caCrl };
      if (tls.mode === 'ISTIO_MUTUAL') {
        // Istio supplies the certificates for ISTIO_MUTUAL; files here would be silently ignored.
        for (const [k, v] of Object.entries({ ...files, credentialName: tls.credentialName })) {
          if (v !== undefined) problems.push({ path: k, reason: 'cannot be set with mode ISTIO_MUTUAL (Istio provides the certificates)' });
        }
      }
      if ((tls.mode === 'SIMPLE' || tls.mode === 'MUTUAL') && tls.credentialName !== undefined) {
        for (const [k, v] of Object.entries(files)) if (v !== undefined) problems.push({ path: k, reason: 'cannot be set together with credentialName' });
      } else if (tls.mode === 'MUTUAL') {
        if (tls.clientCertificate === undefined) problems.push({ path: 'clientCertificate', reason: 'required for mode MUTUAL (or set credentialName)' });
        if (tls.privateKey === undefined) problems.push({ path: 'privateKey', reason: 'required for mode MUTUAL (or set credentialName)' });
      }
      if (tls.insecureSkipVerify === true && (tls.caCertificates !== undefined || tls.subjectAltNames !== undefined)) {
        problems.push({ path: 'insecureSkipVerify', reason: 'cannot be combined with caCertificates or subjectAltNames' });
      }
      return problems;
    },
  },
);

const TunnelSettings = struct(
  'TunnelSettings',
  { targetHost: refine(str, 'TunnelHost', (h) => (ipAddressReason(h) === undefined ? undefined : fqdnReason(h))), targetPort: portNumber },
  { protocol: enumOf('TunnelProtocol', ['CONNECT', 'POST'] as const) },
);
const ProxyProtocol = struct('ProxyProtocol', {}, { version: enumOf('ProxyProtocolVersion', ['V1', 'V2'] as const) });

const PortTrafficPolicy = struct(
  'PortTrafficPolicy',
  { port: struct('PortSelector', { number: portNumber }, {}) },
  { loadBalancer: LoadBalancerSettings, connectionPool: ConnectionPoolSettings, outlierDetection: OutlierDetection, tls: ClientTLSSettings },
  { check: (p) => (Object.keys(p).length === 1 ? [{ path: '', reason: 'a port traffic policy must set at least one of loadBalancer, connectionPool, outlierDetection, tls' }] : []) },
);

export const TrafficPolicy = struct(
  'TrafficPolicy',
  {},
  {
    loadBalancer: LoadBalancerSettings,
    connectionPool: ConnectionPoolSettings,
    outlierDetection: OutlierDetection,
    tls: ClientTLSSettings,
    portLevelSettings: list(PortTrafficPolicy, { maxItems: 4096 }),
    tunnel: TunnelSettings,
    proxyProtocol: ProxyProtocol,
  },
  {
    check: (p) => {
      const problems: Problems = [...atLeastOne('a traffic policy')(p)];
      if (p.tunnel !== undefined && p.proxyProtocol !== undefined) problems.push({ path: '', reason: 'tunnel and proxyProtocol are mutually exclusive' });
      const ports = new Set<number>();
      (p.portLevelSettings ?? []).forEach((s, i) => {
        if (ports.has(s.port.number)) problems.push({ path: `portLevelSettings[${i}].port.number`, reason: `duplicate port ${s.port.number}` });
        ports.add(s.port.number);
      });
      return problems;
    },
  },
);
export type TrafficPolicy = t.TypeOf<typeof TrafficPolicy>;

export const Subset = struct('Subset', { name: subsetName }, { labels, trafficPolicy: TrafficPolicy });
export type Subset = t.TypeOf<typeof Subset>;

export const DestinationRuleSpec = struct(
  'DestinationRuleSpec',
  { host: wildcardDomain },
  { trafficPolicy: TrafficPolicy, subsets: list(Subset), exportTo, workloadSelector: MatchLabelsSelector },
  {
    check: (s) => {
      const seen = new Set<string>();
      const problems: Problems = [];
      (s.subsets ?? []).forEach((sub, i) => {
        if (seen.has(sub.name)) problems.push({ path: `subsets[${i}].name`, reason: `duplicate subset "${sub.name}"` });
        seen.add(sub.name);
      });
      // Istio: a rule that picks workloads applies only where it lives.
      if (s.workloadSelector !== undefined && (s.exportTo ?? []).some((e) => e !== '.')) {
        problems.push({ path: 'exportTo', reason: 'a DestinationRule with a workloadSelector can only be exported to its own namespace (".")' });
      }
      return problems;
    },
  },
);
export type DestinationRuleSpec = t.TypeOf<typeof DestinationRuleSpec>;

export { Percent };

/** Istio's webhook warnings for one traffic policy: deprecated outlier and ring-size settings. */
const trafficPolicyWarnings = (p: TrafficPolicy | undefined, at: string): Array<{ path: string; reason: string }> => {
  if (p === undefined) return [];
  const one = (q: { outlierDetection?: { consecutiveErrors?: number }; loadBalancer?: LoadBalancerSettings }, path: string) => [
    ...((q.outlierDetection?.consecutiveErrors ?? 0) !== 0
      ? [{ path: `${path}.outlierDetection.consecutiveErrors`, reason: 'outlier detection consecutive errors is deprecated, use consecutiveGatewayErrors or consecutive5xxErrors instead' }]
      : []),
    ...((q.loadBalancer?.consistentHash?.minimumRingSize ?? 0) !== 0
      ? [{ path: `${path}.loadBalancer.consistentHash.minimumRingSize`, reason: "consistent hash MinimumRingSize is deprecated, use ConsistentHashLB's RingHash configuration instead" }]
      : []),
  ];
  return [...one(p, at), ...(p.portLevelSettings ?? []).flatMap((s, i) => one(s, `${at}.portLevelSettings[${i}]`))];
};

/** Istio's webhook warnings for a DestinationRule (ValidateDestinationRule); paths inside the spec. */
export const destinationRuleWarnings = (s: DestinationRuleSpec): Array<{ path: string; reason: string }> => [
  ...emptySelectorWarning('workloadSelector', s.workloadSelector, s.workloadSelector?.matchLabels),
  ...trafficPolicyWarnings(s.trafficPolicy, 'trafficPolicy'),
  ...(s.subsets ?? []).flatMap((sub, i) => trafficPolicyWarnings(sub.trafficPolicy, `subsets[${i}].trafficPolicy`)),
];
