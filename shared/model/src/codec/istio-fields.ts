import { isIP } from 'node:net';
import * as t from 'io-ts';
import { re2SyntaxReason } from './re2-syntax.js';
import { bool, enumOf, fail, int, intRange, list, num, record, refine, str, struct } from './schema.js';

/** DNS-1123 label: what Kubernetes allows for namespaces and subset names. */
const DNS1123_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** DNS-1123 subdomain: resource names. */
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;

/** Why `s` cannot be a namespace (or subset) name; undefined when it can. */
export const dnsLabelReason = (s: string): string | undefined =>
  s.length > 63 ? 'must be at most 63 characters' : DNS1123_LABEL.test(s) ? undefined : 'must be a DNS-1123 label (lower-case letters, digits and "-")';

/** Why `s` cannot be a resource name; undefined when it can. */
export const resourceNameReason = (s: string): string | undefined =>
  s.length > 253
    ? 'must be at most 253 characters'
    : DNS1123_SUBDOMAIN.test(s)
      ? undefined
      : 'must be a DNS-1123 subdomain (lower-case letters, digits, "-" and ".")';

export const dnsLabel = refine(str, 'DNS1123Label', dnsLabelReason);
export const resourceName = refine(str, 'ResourceName', resourceNameReason);

/** Why `h` is not a hostname as Istio accepts it (DNS labels, optionally a leading `*` label), checked label by label. */
export const hostnameProblem = (h: string): string | undefined => {
  if (h === '*') return undefined;
  if (h.length === 0) return 'must not be empty';
  if (h.length > 255) return 'must be at most 255 characters';
  const labels = h.split('.');
  for (const [i, label] of labels.entries()) {
    if (i === 0 && label === '*') continue;
    if (label.includes('*')) return `invalid hostname "${h}": a wildcard is only allowed as the whole first label`;
    if (!/^[A-Za-z0-9]([-A-Za-z0-9]{0,61}[A-Za-z0-9])?$/.test(label)) return `invalid hostname "${h}"`;
  }
  // As Istio: `10.0.0.1` or `svc.123` is no DNS name (an IP is accepted only where a field says so).
  if (/^[0-9]+$/.test(labels[labels.length - 1] ?? '')) return `invalid hostname "${h}": the top-level domain cannot be all-numeric`;
  return undefined;
};

/** The names hostnameProblem accepts, in one pass: splitting into labels costs more than the rest of a replayed resource's checks. */
const PLAIN_HOSTNAME = /^(?:\*|[A-Za-z0-9](?:[-A-Za-z0-9]{0,61}[A-Za-z0-9])?)(?:\.[A-Za-z0-9](?:[-A-Za-z0-9]{0,61}[A-Za-z0-9])?)*$/;
const NUMERIC_TOP_LEVEL = /(?:^|\.)[0-9]+$/;

/** A hostname as Istio accepts it: DNS labels, optionally a leading `*` wildcard label. */
export const hostnameReason = (h: string): string | undefined =>
  h.length <= 255 && PLAIN_HOSTNAME.test(h) && !NUMERIC_TOP_LEVEL.test(h) ? undefined : hostnameProblem(h);
export const hostname = refine(str, 'Hostname', hostnameReason);
/**
 * Istio's ValidateWildcardDomain: a hostname whose first label may also be a partial wildcard,
 * `*` then a DNS label or `-` and one (`*x.example.com`, `*-api.example.com`). VirtualService
 * and DestinationRule hosts and SNI names take it as it is; ServiceEntry hosts with a warning.
 */
export const wildcardDomainReason = (h: string): string | undefined => {
  if (h.length < 2 || h[0] !== '*' || h[1] === '.') return hostnameReason(h);
  const dot = h.indexOf('.');
  const first = dot < 0 ? h : h.slice(0, dot);
  const label = first.startsWith('*-') ? first.slice(2) : first.slice(1);
  // The partial label must be a DNS label of its own, and the rest a hostname.
  return label !== '' && !label.includes('*') && hostnameReason(`${label}${h.slice(first.length)}`) === undefined ? undefined : `invalid hostname "${h}"`;
};
export const wildcardDomain = refine(str, 'WildcardDomain', wildcardDomainReason);
/** A destination host: any hostname but the bare `*`. */
export const destinationHost = refine(str, 'DestinationHost', (h) => (h === '*' ? 'invalid destination host "*"' : hostnameReason(h)));

/** Label keys follow Kubernetes: optional DNS prefix + `/` + name of ≤63 [A-Za-z0-9-_.]. */
export const labelKeyReason = (k: string): string | undefined => {
  const slash = k.lastIndexOf('/');
  const prefix = slash >= 0 ? k.slice(0, slash) : undefined;
  const name = slash >= 0 ? k.slice(slash + 1) : k;
  if (prefix !== undefined && !DNS1123_SUBDOMAIN.test(prefix)) return `invalid label key "${k}": prefix must be a DNS-1123 subdomain`;
  if (name.length === 0 || name.length > 63 || !/^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(name)) {
    return `invalid label key "${k}"`;
  }
  return undefined;
};
const labelValue = refine(str, 'LabelValue', (v) =>
  v === '' || (v.length <= 63 && /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/.test(v)) ? undefined : `invalid label value "${v}"`,
);
const labelsOf = (maxEntries?: number) =>
  record(labelValue, { name: 'Labels', keyCheck: labelKeyReason, reason: 'must be a map of strings (label: value)', ...(maxEntries !== undefined ? { maxEntries } : {}) });
export const labels = labelsOf();
/*
 * Istio's CRD bounds (maxItems / maxProperties in its CRD schemas), which also bound what one
 * resource costs galley and pilot: a workload's labels and its selector 256 entries, a policy's
 * matchLabels 4096, a workload's named ports 128.
 */
export const workloadLabels = labelsOf(256);
export const WORKLOAD_PORTS_MAX = 128;
export const stringMap = record(str, { name: 'StringMap', reason: 'must be a map of strings' });

/**
 * Durations as Istio's CRDs accept them (Go style: `10s`, `1.5s`, `100ms`, `1m30s`).
 * Kept as the user's string; `durationMs` turns them into numbers for derivation.
 */
const DURATION_PART = /(\d+(?:\.\d+)?)(h|ms|m|s|us|µs|ns)/gy;
const UNIT_MS: Record<string, number> = { h: 3_600_000, m: 60_000, s: 1000, ms: 1, us: 1e-3, 'µs': 1e-3, ns: 1e-6 };
export const durationMs = (s: string): number | undefined => {
  if (s.length === 0) return undefined;
  DURATION_PART.lastIndex = 0;
  let total = 0;
  let consumed = 0;
  for (let m = DURATION_PART.exec(s); m !== null; m = DURATION_PART.exec(s)) {
    total += Number(m[1]) * (UNIT_MS[m[2] ?? ''] ?? NaN);
    consumed = DURATION_PART.lastIndex;
  }
  return consumed === s.length ? total : undefined;
};
/** google.protobuf.Duration holds at most 315,576,000,000 s (10,000 years); more would not translate to xDS. */
const MAX_DURATION_MS = 315_576_000_000_000;
export const durationReason = (s: string): string | undefined => {
  const ms = durationMs(s);
  if (ms === undefined) return `invalid duration "${s}": use a number with a unit, e.g. 10s, 1.5s, 100ms`;
  if (ms < 1) return 'must be at least 1ms';
  if (ms > MAX_DURATION_MS) return `invalid duration "${s}": must be at most ${MAX_DURATION_MS / 1000}s (protobuf Duration's range)`;
  // Envoy takes milliseconds; Istio's webhook refuses finer durations rather than round them.
  return Math.abs(ms - Math.round(ms)) > 1e-9 ? `invalid duration "${s}": only whole milliseconds are supported` : undefined;
};
export const duration = refine(str, 'Duration', durationReason);
/** A duration where 0 means "none" (a session cookie's ttl). */
export const durationOrZero = refine(str, 'Duration', (s) => (durationMs(s) === 0 ? undefined : durationReason(s)));

export const portNumber = intRange(1, 65535);

export const percent = refine(num, 'Percent', (n) => (n < 0 || n > 100 ? 'must be between 0 and 100' : undefined));
export const Percent = struct('Percent', { value: percent }, {});

/** A regex as Istio's webhook takes it: RE2 syntax (what Envoy compiles), at most 1024 bytes, not empty. */
export const regex = refine(str, 'Regex', re2SyntaxReason);

/** Exactly one of exact / prefix / regex. */
const stringMatchOf = (name: string, emptyPrefix: boolean) =>
  struct(
    name,
    {},
    { exact: str, prefix: str, regex },
    {
      check: (m) => {
        const n = [m.exact, m.prefix, m.regex].filter((v) => v !== undefined).length;
        if (n !== 1) return [{ path: '', reason: 'must set exactly one of exact, prefix, regex' }];
        return !emptyPrefix && m.prefix === '' ? [{ path: 'prefix', reason: 'must not be empty' }] : [];
      },
    },
  );
/** A URI match: an empty prefix is allowed (it matches every path). */
export const StringMatch = stringMatchOf('StringMatch', true);
/** Header, query, method, scheme and authority matches: an empty prefix would match everything by accident. */
export const StrictStringMatch = stringMatchOf('StringMatch', false);
export type StringMatch = t.TypeOf<typeof StringMatch>;

export const PortSelector = struct('PortSelector', { number: portNumber }, {});

export const subsetName = dnsLabel;

export const Destination = struct('Destination', { host: destinationHost }, { subset: subsetName, port: PortSelector });
export type Destination = t.TypeOf<typeof Destination>;

export const WorkloadSelector = struct('WorkloadSelector', {}, { matchLabels: labels, labels });


export { bool, enumOf, fail, str };

// ---------------------------------------------------------------------------------------------
// Addresses, ports and protocols.

/** Why `s` is not an IPv4/IPv6 address, or undefined when it is. */
export const ipAddressReason = (s: string): string | undefined => (isIP(s) !== 0 ? undefined : `"${s}" is not a valid IP address`);

/** An address or a CIDR block (`10.0.0.0/8`, `2001:db8::/32`), as Istio's destinationSubnets and addresses take them. */
export const ipSubnetReason = (s: string): string | undefined => {
  const slash = s.indexOf('/');
  if (slash < 0) return isIP(s) !== 0 ? undefined : `"${s}" is not a valid IP address or CIDR block`;
  const family = isIP(s.slice(0, slash));
  const bits = s.slice(slash + 1);
  if (family === 0 || !/^[0-9]{1,3}$/.test(bits) || Number(bits) > (family === 4 ? 32 : 128)) return `"${s}" is not a valid CIDR block`;
  return undefined;
};
export const ipSubnet = refine(str, 'IPSubnet', ipSubnetReason);

/** A DNS name without wildcard, as DNS resolution needs it. */
export const fqdnReason = (h: string): string | undefined => (h.includes('*') ? `"${h}" must be a DNS name without wildcard` : hostnameReason(h));

/** VirtualService hosts may also be IP addresses (Istio accepts them there). */
export const routeHost = refine(str, 'RouteHost', (h) => (isIP(h) !== 0 ? undefined : wildcardDomainReason(h)));


/** Protocol names Istio understands on a port (matched case-insensitively, as Istio does). */
export const PROTOCOLS = ['HTTP', 'HTTPS', 'GRPC', 'GRPC-WEB', 'HTTP2', 'HTTP_PROXY', 'MONGO', 'REDIS', 'MYSQL', 'TCP', 'TLS', 'UDP'] as const;
export const protocolReason = (p: string): string | undefined =>
  (PROTOCOLS as readonly string[]).includes(p.toUpperCase()) ? undefined : `unsupported protocol "${p}": expected one of ${PROTOCOLS.join(', ')}`;
export const protocol = refine(str, 'Protocol', protocolReason);
export const isHttpProtocol = (p: string | undefined): boolean => ['HTTP', 'HTTP2', 'GRPC', 'GRPC-WEB', 'HTTP_PROXY'].includes((p ?? '').toUpperCase());
export const isTlsProtocol = (p: string | undefined): boolean => ['HTTPS', 'TLS'].includes((p ?? '').toUpperCase());

/** Port names are DNS-1123 labels (`http`, `grpc-web`, `tcp-db`). */
export const portName = dnsLabel;

/** A port number where 0 means "unset" is not allowed: a uint32 map key of PeerAuthentication, say. */
export const portNumberString = (s: string): string | undefined =>
  /^[0-9]+$/.test(s) && Number(s) >= 1 && Number(s) <= 65535 ? undefined : `port "${s}" must be a number in the range 1..65535`;

// ---------------------------------------------------------------------------------------------
// HTTP headers.

const HEADER_NAME = /^[-_A-Za-z0-9]+$/;
/** A header name a match may test: a token, or a JWT claim (`@request.auth.claims.group`). */
export const headerMatchNameReason = (name: string): string | undefined =>
  name.startsWith('@request.auth.claims.') && name.length > '@request.auth.claims.'.length
    ? undefined
    : HEADER_NAME.test(name)
      ? undefined
      : `invalid header name "${name}"`;
export const headerNameReason = (name: string): string | undefined => (HEADER_NAME.test(name) ? undefined : `invalid header name "${name}"`);

/** Envoy reads `%VAR%` in header values; a lone `%` is a configuration error Envoy would NACK. */
export const headerValueReason = (value: string): string | undefined => {
  // JSON quoting: the reason must stay on one line even when the value does not.
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000A-\u001F\u007F]/.test(value)) return `header value ${JSON.stringify(value)} contains a control character`;
  for (let i = 0; i < value.length; i++) {
    if (value[i] !== '%') continue;
    if (value[i + 1] === '%') {
      i++;
      continue;
    }
    const end = value.indexOf('%', i + 1);
    if (end < 0 || !/^[A-Z][A-Z0-9_]*(\(.*\))?(:[0-9]+)?$/.test(value.slice(i + 1, end))) {
      return `header value "${value}": "%" must start a %VARIABLE% or be written "%%"`;
    }
    i = end;
  }
  return undefined;
};
const isPseudoHeader = (name: string): boolean => name.startsWith(':');
const isAuthority = (name: string): boolean => name.toLowerCase() === ':authority' || name.toLowerCase() === 'host';
/**
 * RFC 9110's token: what a header name written to a request may be. Istio checks no more than
 * the ":" prefix here, but a space, colon, control or non-ASCII character in a name cannot go on
 * the wire as written (Jetmesh's proxy would fail on it, Envoy sends it malformed).
 */
const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
const tokenReason = (name: string): string | undefined => (HTTP_TOKEN.test(name) ? undefined : `invalid header name ${JSON.stringify(name)}: must be an HTTP token (RFC 9110)`);
/** Request headers to set/add: not pseudo-headers, except the authority (which Envoy rewrites as such). */
export const requestHeaderSetReason = (name: string): string | undefined =>
  name === ''
    ? 'header name must not be empty'
    : isPseudoHeader(name)
      ? isAuthority(name)
        ? undefined
        : `invalid header "${name}": a header cannot have a ":" prefix`
      : tokenReason(name);
/** Headers to remove, and any response header: neither Host nor a pseudo-header. */
export const headerOperationReason = (name: string): string | undefined =>
  name === ''
    ? 'header name must not be empty'
    : name.toLowerCase() === 'host'
      ? `invalid header "${name}": the Host header cannot be changed here`
      : isPseudoHeader(name)
        ? `invalid header "${name}": a header cannot have a ":" prefix`
        : tokenReason(name);

// ---------------------------------------------------------------------------------------------
// Selectors and references.

// Selector labels are well-formed Kubernetes labels (so never a `*`). An empty selector is valid in
// Istio (it selects the whole namespace, as no selector does); the analyzer says so.
/** security.istio.io and DestinationRule selectors: `matchLabels`. */
export const MatchLabelsSelector = struct('WorkloadSelector', {}, { matchLabels: labelsOf(4096) });
/** networking.istio.io Sidecar/ServiceEntry selectors: `labels`. */
export const LabelsSelector = struct('WorkloadSelector', {}, { labels: workloadLabels });

/** Gateway API style reference of policies (`targetRef`); Istio allows Service, ServiceEntry and Gateway. */
export const PolicyTargetReference = struct(
  'PolicyTargetReference',
  { kind: str, name: str },
  { group: str, namespace: str },
  {
    check: (r) => {
      const problems: Array<{ path: string; reason: string }> = [];
      const group = r.group ?? '';
      const allowed = [
        ['', 'Service'],
        ['core', 'Service'],
        ['networking.istio.io', 'ServiceEntry'],
        ['gateway.networking.k8s.io', 'Gateway'],
      ].some(([g, k]) => g === group && k === r.kind);
      if (!allowed) problems.push({ path: 'kind', reason: `must be Service, ServiceEntry (group networking.istio.io) or Gateway (group gateway.networking.k8s.io); got "${group}/${r.kind}"` });
      if (r.name === '') problems.push({ path: 'name', reason: 'must not be empty' });
      if (r.namespace !== undefined && r.namespace !== '') problems.push({ path: 'namespace', reason: 'must not be set: cross-namespace references are not supported' });
      return problems;
    },
  },
);

/** `exportTo` entries: `.` (this namespace), `*` (all) or a namespace; ServiceEntries may also say `~` (none). */
const exportToList = (allowNone: boolean) =>
  refine(list(str), 'ExportTo', (entries) => {
    const seen = new Set<string>();
    for (const e of entries) {
      if (e !== '.' && e !== '*' && !(allowNone && e === '~') && dnsLabelReason(e) !== undefined) {
        return `invalid exportTo entry "${e}": expected ".", "*"${allowNone ? ', "~"' : ''} or a namespace`;
      }
      if (seen.has(e)) return `duplicate exportTo entry "${e}"`;
      seen.add(e);
    }
    if (entries.includes('*') && entries.length > 1) return 'cannot mix "*" (public) with other exportTo entries';
    if (entries.includes('~') && entries.length > 1) return 'cannot mix "~" (exported to no one) with other exportTo entries';
    return undefined;
  });
export const serviceEntryExportTo = exportToList(true);
export const exportTo = exportToList(false);

/** A gateway a route binds to: `mesh`, `<namespace>/<name>`, or a name in the route's namespace. */
export const gatewayNameReason = (g: string): string | undefined => {
  if (g === 'mesh') return undefined;
  const slash = g.indexOf('/');
  if (slash < 0) return resourceNameReason(g) === undefined ? undefined : `invalid gateway "${g}": expected mesh, <namespace>/<name> or <name>`;
  const ns = g.slice(0, slash);
  const name = g.slice(slash + 1);
  if (ns === '' || name === '') return `invalid gateway "${g}": namespace and name must not be empty`;
  if (dnsLabelReason(ns) !== undefined) return `invalid gateway "${g}": "${ns}" is not a namespace`;
  if (dnsLabelReason(name) !== undefined) return `invalid gateway "${g}": "${name}" is not a gateway name`;
  return undefined;
};
export const gatewayName = refine(str, 'GatewayName', gatewayNameReason);

/** `namespace/host` as Gateway servers and Sidecar egress hosts write it (`*\/reviews`, `./*`, `prod/*.example.com`). */
/** Istio's ValidatePartialWildCard: a well-formed `*x.example.com`, which Gateway and Sidecar hosts do not take. */
const isPartialWildcardHost = (host: string): boolean => host.length > 1 && host.startsWith('*') && !host.startsWith('*.') && wildcardDomainReason(host) === undefined;

export const namespacedHostReason = (value: string, requireNamespace: boolean, allowExcluded = false): string | undefined => {
  const slash = value.indexOf('/');
  if (slash < 0) {
    if (requireNamespace) return `invalid host "${value}": expected <namespace>/<host>, e.g. */reviews or ./*`;
    return value === '*' ? undefined : isPartialWildcardHost(value) ? `partial wildcard "${value}" not allowed` : hostnameReason(value);
  }
  // Sidecar egress: `~ns/host` excludes the namespace (and `~/host` imports nothing).
  const ns = allowExcluded && value.startsWith('~') && slash > 1 ? value.slice(1, slash) : value.slice(0, slash);
  const host = value.slice(slash + 1);
  if (ns !== '*' && ns !== '.' && ns !== '~' && dnsLabelReason(ns) !== undefined) return `invalid host "${value}": "${ns}" is not a namespace, ".", "~" or "*"`;
  if (host === '*') return undefined;
  if (isPartialWildcardHost(host)) return `invalid host "${value}": partial wildcard "${host}" not allowed`;
  const reason = hostnameReason(host);
  return reason === undefined ? undefined : `invalid host "${value}": ${reason}`;
};

/** A non-negative int32 counter (`maxConnections`, `http2MaxRequests`, route weights, retry attempts). */
export const int32 = intRange(0, 2147483647);
/** A uint32 field (`consecutive5xxErrors`, keepalive probes): what Envoy's field holds. */
export const uint32 = intRange(0, 4294967295);
/** A uint64 field (`minimumRingSize`), as far as a JSON number holds it exactly (2^53 - 1). */
export const uint64 = intRange(0, Number.MAX_SAFE_INTEGER);

export { int };
