import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { analyzeMesh, decodeResource, emptyMeshState, encodeResource, formatDiagnostic, refOf, schemaWarnings } from '../src/index.js';
import { mustDecode } from './event-log.js';
import { anyKindDoc, authorizationPolicyDoc } from './kind-arbitraries.js';

/*
 * What Istio's validation webhook accepts with a warning (pkg/config/validation's `Warning`s):
 * each rule warns on its case and is silent on the fixed variant; warnings never refuse.
 */

const NET = 'networking.istio.io/v1';
const SEC = 'security.istio.io/v1';
const doc = (kind: string, spec: unknown, apiVersion = ['PeerAuthentication', 'AuthorizationPolicy', 'RequestAuthentication'].includes(kind) ? SEC : NET) => ({
  apiVersion,
  kind,
  metadata: { name: 'x', namespace: 'default' },
  spec,
});
const warningsOf = (d: unknown): string[] => schemaWarnings(mustDecode(d)).map((w) => `${w.path}: ${w.reason}`);

const https = (tls: Record<string, unknown>) => ({ port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['web.example.com'], tls });
const gateway = (tls: Record<string, unknown>) => doc('Gateway', { selector: { istio: 'ingressgateway' }, servers: [https(tls)] });
const route = { route: [{ destination: { host: 'reviews' } }] };
const vs = (spec: Record<string, unknown>) => doc('VirtualService', { hosts: ['reviews'], http: [route], ...spec });
const se = (spec: Record<string, unknown>) => doc('ServiceEntry', { hosts: ['api.example.com'], ports: [{ number: 443, name: 'https', protocol: 'HTTPS' }], resolution: 'DNS', ...spec });

interface Rule {
  readonly name: string;
  readonly warns: unknown;
  readonly lines: readonly string[];
  /** The same resource with the warned-about part fixed. */
  readonly fixed: unknown;
}

const RULES: readonly Rule[] = [
  {
    name: 'Gateway: TLS 1.0 minimum without cipher suites',
    warns: gateway({ mode: 'SIMPLE', credentialName: 'c', minProtocolVersion: 'TLSV1_0' }),
    lines: ['spec.servers[0].tls.minProtocolVersion: TLS versions below TLSV1_2 need compatible cipherSuites set: the default suites no longer include any'],
    fixed: gateway({ mode: 'SIMPLE', credentialName: 'c', minProtocolVersion: 'TLSV1_0', cipherSuites: ['ECDHE-RSA-AES128-SHA'] }),
  },
  {
    name: 'Gateway: unknown and duplicate cipher suites are ignored',
    warns: gateway({ mode: 'SIMPLE', credentialName: 'c', cipherSuites: ['NOPE', 'AES128-SHA', 'AES128-SHA', 'NOPE'] }),
    lines: ['spec.servers[0].tls.cipherSuites: ignoring invalid cipher suites: [NOPE]', 'spec.servers[0].tls.cipherSuites: ignoring duplicate cipher suites: [AES128-SHA]'],
    fixed: gateway({ mode: 'SIMPLE', credentialName: 'c', cipherSuites: ['AES128-SHA', '-AES256-SHA', 'ALL'] }),
  },
  {
    name: 'Gateway: certificates on a PASSTHROUGH server',
    warns: gateway({ mode: 'PASSTHROUGH', credentialName: 'c' }),
    lines: ['spec.servers[0].tls: PASSTHROUGH mode does not use certificates, they will be ignored'],
    fixed: gateway({ mode: 'PASSTHROUGH' }),
  },
  {
    name: 'Gateway: httpsRedirect on an HTTPS server',
    warns: gateway({ mode: 'SIMPLE', credentialName: 'c', httpsRedirect: true }),
    lines: ['spec.servers[0].tls.httpsRedirect: tls.httpsRedirect should only be used with http servers'],
    fixed: gateway({ mode: 'SIMPLE', credentialName: 'c' }),
  },
  {
    name: 'Sidecar: a workload selector without labels',
    warns: doc('Sidecar', { workloadSelector: {}, egress: [{ hosts: ['./*'] }] }),
    lines: ['spec.workloadSelector: sidecar: workload selector specified without labels, will be applied to all services in namespace'],
    fixed: doc('Sidecar', { workloadSelector: { labels: { app: 'a' } }, egress: [{ hosts: ['./*'] }] }),
  },
  {
    name: 'Sidecar: an egress host listed twice, or beside its namespace wildcard',
    // `.` is the Sidecar's own namespace (default).
    warns: doc('Sidecar', { egress: [{ hosts: ['./a.example.com', 'default/a.example.com', 'prod/*', 'prod/b.example.com'] }] }),
    lines: ['spec.egress[0].hosts[1]: duplicated egress host: default/a.example.com', 'spec.egress[0].hosts[3]: duplicated egress host: prod/b.example.com'],
    fixed: doc('Sidecar', { egress: [{ hosts: ['./a.example.com', 'prod/*'] }] }),
  },
  {
    name: 'Sidecar: */* beside other hosts (excluded ~ hosts take nothing in, so they may stand beside it)',
    warns: doc('Sidecar', { egress: [{ hosts: ['*/*', 'prod/a.example.com'] }] }),
    lines: ['spec.egress[0].hosts: `*/*` host select all resources, no other hosts can be added'],
    fixed: doc('Sidecar', { egress: [{ hosts: ['*/*', '~prod/*', '~/b.example.com'] }] }),
  },
  {
    name: 'Sidecar: HTTP pool settings on a TCP listener',
    warns: doc('Sidecar', { ingress: [{ port: { number: 3306, name: 'db', protocol: 'TCP' }, connectionPool: { http: { maxRetries: 1 } } }] }),
    lines: ['spec.ingress[0].connectionPool.http: sidecar: HTTP connection pool settings are configured for port 3306 ("db") but its protocol is not HTTP (TCP); only TCP settings will apply'],
    fixed: doc('Sidecar', { ingress: [{ port: { number: 3306, name: 'db', protocol: 'TCP' }, connectionPool: { tcp: { maxConnections: 1 } } }] }),
  },
  {
    name: 'DestinationRule: deprecated consecutiveErrors and minimumRingSize, in a subset too',
    warns: doc('DestinationRule', {
      host: 'reviews',
      trafficPolicy: { outlierDetection: { consecutiveErrors: 5 } },
      subsets: [{ name: 'v1', labels: { version: 'v1' }, trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: 'x-user', minimumRingSize: 1024 } } } }],
    }),
    lines: [
      'spec.trafficPolicy.outlierDetection.consecutiveErrors: outlier detection consecutive errors is deprecated, use consecutiveGatewayErrors or consecutive5xxErrors instead',
      "spec.subsets[0].trafficPolicy.loadBalancer.consistentHash.minimumRingSize: consistent hash MinimumRingSize is deprecated, use ConsistentHashLB's RingHash configuration instead",
    ],
    fixed: doc('DestinationRule', {
      host: 'reviews',
      trafficPolicy: { outlierDetection: { consecutive5xxErrors: 5 } },
      subsets: [{ name: 'v1', labels: { version: 'v1' }, trafficPolicy: { loadBalancer: { consistentHash: { httpHeaderName: 'x-user', ringHash: { minimumRingSize: 1024 } } } } }],
    }),
  },
  {
    name: 'DestinationRule: a workload selector without labels',
    warns: doc('DestinationRule', { host: 'reviews', workloadSelector: {} }),
    lines: ['spec.workloadSelector: workload selector specified without labels'],
    fixed: doc('DestinationRule', { host: 'reviews', workloadSelector: { matchLabels: { app: 'a' } } }),
  },
  {
    name: 'AuthorizationPolicy: selector: {}',
    warns: doc('AuthorizationPolicy', { selector: {}, rules: [{}] }),
    lines: ['spec.selector: workload selector specified without labels'],
    fixed: doc('AuthorizationPolicy', { rules: [{}] }),
  },
  {
    name: 'AuthorizationPolicy: a DENY rule on HTTP attributes only',
    warns: doc('AuthorizationPolicy', { action: 'DENY', rules: [{ to: [{ operation: { methods: ['DELETE'] } }] }, { from: [{ source: { requestPrincipals: ['*'] } }] }] }),
    lines: [0, 1].map(
      (i) =>
        `spec.rules[${i}]: configured AuthorizationPolicy will deny all traffic to TCP ports under its scope due to the use of only HTTP attributes in a DENY rule; it is recommended to explicitly specify the port`,
    ),
    fixed: doc('AuthorizationPolicy', { action: 'DENY', rules: [{ to: [{ operation: { methods: ['DELETE'], ports: ['8080'] } }] }, { from: [{ source: { namespaces: ['x'] } }] }] }),
  },
  {
    name: 'RequestAuthentication: selector: {} and a private key in the inline JWKS',
    warns: doc('RequestAuthentication', { selector: {}, jwtRules: [{ issuer: 'i', jwks: JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', x: 'a', y: 'b' }, { kty: 'oct', k: 'c2VjcmV0' }] }) }] }),
    lines: ['spec.selector: workload selector specified without labels', 'spec.jwtRules[0].jwks: jwks key at index 1 contains private key material; only public keys are used for verification'],
    fixed: doc('RequestAuthentication', { selector: { matchLabels: { app: 'a' } }, jwtRules: [{ issuer: 'i', jwks: JSON.stringify({ keys: [{ kty: 'EC', crv: 'P-256', x: 'a', y: 'b' }] }) }] }),
  },
  {
    name: 'PeerAuthentication: selector: {}',
    warns: doc('PeerAuthentication', { selector: {}, mtls: { mode: 'STRICT' } }),
    lines: ['spec.selector: workload selector specified without labels'],
    fixed: doc('PeerAuthentication', { mtls: { mode: 'STRICT' } }),
  },
  {
    name: 'VirtualService: legacy gateway names',
    warns: vs({ gateways: ['web.istio-system'], http: [{ ...route, match: [{ gateways: ['web.istio-system'] }] }] }),
    lines: ['spec.gateways[0]', 'spec.http[0].match[0].gateways[0]'].map((p) => `${p}: using legacy gatewayName format "web.istio-system"; prefer the <namespace>/<name> format: "istio-system/web"`),
    fixed: vs({ gateways: ['istio-system/web'], http: [{ ...route, match: [{ gateways: ['istio-system/web'] }] }] }),
  },
  {
    name: 'VirtualService: an abort without error type',
    warns: vs({ http: [{ ...route, fault: { abort: { percentage: { value: 10 } } } }] }),
    lines: ['spec.http[0].fault.abort: abort configured, but error type not set'],
    fixed: vs({ http: [{ ...route, fault: { abort: { percentage: { value: 10 }, httpStatus: 503 } } }] }),
  },
  {
    name: 'VirtualService: a direct response over 100 KiB',
    warns: vs({ http: [{ directResponse: { status: 200, body: { string: 'x'.repeat(100 * 1024 + 1) } } }] }),
    lines: ['spec.http[0].directResponse.body: large direct_responses may impact control plane performance'],
    fixed: vs({ http: [{ directResponse: { status: 200, body: { string: 'x'.repeat(100 * 1024) } } }] }),
  },
  {
    name: 'VirtualService: the deprecated mirrorPercent',
    warns: vs({ http: [{ ...route, mirror: { host: 'shadow' }, mirrorPercent: 5 }] }),
    lines: ['spec.http[0].mirrorPercent: using deprecated setting "mirrorPercent", use "mirrorPercentage" instead'],
    fixed: vs({ http: [{ ...route, mirror: { host: 'shadow' }, mirrorPercentage: { value: 5 } }] }),
  },
  {
    name: 'VirtualService: an IP address as SNI',
    warns: doc('VirtualService', { hosts: ['db.example.com'], tls: [{ match: [{ sniHosts: ['10.0.0.1'] }], route: [{ destination: { host: 'db.example.com' } }] }] }),
    lines: ['spec.tls[0].match[0].sniHosts[0]: using an IP address ("10.0.0.1") goes against SNI spec and most clients do not support this'],
    fixed: doc('VirtualService', { hosts: ['db.example.com'], tls: [{ match: [{ sniHosts: ['db.example.com'] }], route: [{ destination: { host: 'db.example.com' } }] }] }),
  },
  {
    name: 'WorkloadEntry: no address beside a network',
    warns: doc('WorkloadEntry', { network: 'west' }),
    lines: ['spec.address: address is unset with network "west"'],
    fixed: doc('WorkloadEntry', { network: 'west', address: '10.0.0.5' }),
  },
  {
    name: 'ServiceEntry: a partial wildcard host',
    warns: se({ hosts: ['*-api.example.com'], resolution: 'NONE' }),
    lines: ['spec.hosts[0]: partial wildcard "*-api.example.com" not allowed'],
    fixed: se({ hosts: ['*.example.com'], resolution: 'NONE' }),
  },
  {
    name: 'ServiceEntry: an empty workload selector, and a selector with resolution NONE',
    warns: se({ workloadSelector: {}, resolution: 'NONE' }),
    lines: [
      'spec.workloadSelector: service entry: workload selector specified without labels, will be applied to all services in namespace',
      'spec.workloadSelector: workloadSelector should not be set when resolution mode is NONE',
    ],
    fixed: se({ workloadSelector: { labels: { app: 'api' } }, resolution: 'STATIC' }),
  },
];

test('gateway: an RSA and an ECDSA certificate (tlsCertificates) and credentialNames with a CA credential are valid Istio servers', () => {
  assert.deepEqual(warningsOf(gateway({ mode: 'SIMPLE', tlsCertificates: [{ serverCertificate: '/rsa.crt', privateKey: '/rsa.key' }, { serverCertificate: '/ec.crt', privateKey: '/ec.key' }] })), []);
  assert.deepEqual(warningsOf(gateway({ mode: 'MUTUAL', credentialNames: ['rsa', 'ec'], caCertCredentialName: 'clients' })), []);
});

for (const rule of RULES) {
  test(`schema-warnings: ${rule.name}: accepted with Istio's warning, none once fixed`, () => {
    assert.deepEqual(warningsOf(rule.warns), rule.lines);
    assert.deepEqual(warningsOf(rule.fixed), []);
  });
}

test('schema-warnings: analyze reports each as IST0133, as istioctl analyze does, for the focused resources only', () => {
  const warned = mustDecode(doc('PeerAuthentication', { selector: {}, mtls: { mode: 'STRICT' } }));
  const other = mustDecode({ ...doc('PeerAuthentication', { selector: {} }), metadata: { name: 'other', namespace: 'default' } });
  const lines = analyzeMesh({ state: emptyMeshState, proposed: [warned, other], focus: [refOf(warned)] }).map((d) => formatDiagnostic(d));
  assert.deepEqual(lines, ['Warning [IST0133] (PeerAuthentication default/x) Schema validation warning: spec.selector: workload selector specified without labels']);
});

/** The value at `spec.a[0].b` of a plain object, or undefined when the path leads nowhere. */
const at = (value: unknown, path: string): unknown =>
  path
    .split(/\.|(?=\[)/)
    .filter((s) => s !== '')
    .reduce<unknown>((v, seg) => {
      if (v === undefined || v === null || typeof v !== 'object') return undefined;
      const index = /^\[(\d+)\]$/.exec(seg);
      return index !== null ? (v as unknown[])[Number(index[1])] : (v as Record<string, unknown>)[seg];
    }, value);

test('schema-warnings.property: every warning of any valid resource names a field the resource has, and says why', () => {
  fc.assert(
    fc.property(anyKindDoc, (d) => {
      const decoded = decodeResource(d, 'default');
      if (decoded._tag === 'Left') return;
      const r = decoded.right.resource;
      const encoded = encodeResource(r);
      for (const w of schemaWarnings(r)) {
        assert.notEqual(at(encoded, w.path), undefined, `${w.path} is not in ${JSON.stringify(encoded)}`);
        assert.ok(w.reason.length > 0);
      }
      assert.deepEqual(schemaWarnings(r), schemaWarnings(r));
    }),
    { numRuns: 400 },
  );
});

test('schema-warnings.property: an AuthorizationPolicy with selector: {} is accepted and warned about; with labels it is not', () => {
  fc.assert(
    fc.property(authorizationPolicyDoc, fc.boolean(), (d, empty) => {
      const { targetRef: _r, targetRefs: _rs, ...spec } = d.spec;
      const next = { ...d, spec: { ...spec, selector: empty ? {} : { matchLabels: { app: 'a' } } } };
      const decoded = decodeResource(next, 'default');
      if (decoded._tag === 'Left') return;
      const selectorWarnings = schemaWarnings(decoded.right.resource).filter((w) => w.path === 'spec.selector');
      assert.equal(selectorWarnings.length, empty ? 1 : 0);
    }),
    { numRuns: 200 },
  );
});
