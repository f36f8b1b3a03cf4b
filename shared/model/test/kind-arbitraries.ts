import fc from 'fast-check';
import type { IstioDocument } from './arbitraries.js';
import { destinationRuleDoc, serviceEntryDoc, virtualServiceDoc, workloadEntryDoc } from './arbitraries.js';

/*
 * VALID documents of the kinds beyond routing (Gateway, Sidecar, WorkloadGroup and the three
 * security kinds), in canonical form like those of arbitraries.ts, so decode∘encode must give
 * them back unchanged; and `anyKindDoc` drawing from all ten kinds.
 */

const rec = <T extends object, K extends keyof T>(model: { [P in keyof T]: fc.Arbitrary<T[P]> }, requiredKeys: K[]) =>
  fc.record<T, K>(model, { requiredKeys, noNullPrototype: true });

const label = fc.stringMatching(/^[a-z][-a-z0-9]{0,10}[a-z0-9]$/);
const namespace = fc.constantFrom('default', 'prod', 'istio-system', 'foo');
const name = label;
const labels = fc.dictionary(fc.constantFrom('app', 'version', 'istio', 'tier'), label, { minKeys: 1, maxKeys: 3, noNullPrototype: true });
const host = fc.tuple(label, fc.constantFrom('example.com', 'svc.cluster.local', 'internal')).map(([a, b]) => `${a}.${b}`);
const port = fc.integer({ min: 1, max: 65535 });
const duration = fc.oneof(fc.integer({ min: 1, max: 600 }).map((n) => `${n}s`), fc.integer({ min: 1, max: 5000 }).map((n) => `${n}ms`));

const metadata = rec({ name, namespace, labels }, ['name', 'namespace']);
const doc = (apiVersions: readonly string[], kind: IstioDocument['kind'], spec: fc.Arbitrary<Record<string, unknown>>): fc.Arbitrary<IstioDocument> =>
  fc.record({ apiVersion: fc.constantFrom(...apiVersions), kind: fc.constant(kind), metadata, spec }, { noNullPrototype: true });
const NET = ['networking.istio.io/v1alpha3', 'networking.istio.io/v1beta1', 'networking.istio.io/v1'];
const SEC = ['security.istio.io/v1beta1', 'security.istio.io/v1'];

const serverTls = fc.oneof(
  rec({ mode: fc.constant('SIMPLE'), credentialName: label, minProtocolVersion: fc.constantFrom('TLSV1_2', 'TLSV1_3') }, ['mode', 'credentialName']),
  rec({ mode: fc.constant('MUTUAL'), serverCertificate: fc.constant('/etc/certs/cert.pem'), privateKey: fc.constant('/etc/certs/key.pem'), caCertificates: fc.constant('/etc/certs/ca.pem') }, [
    'mode',
    'serverCertificate',
    'privateKey',
    'caCertificates',
  ]),
  rec({ mode: fc.constantFrom('PASSTHROUGH', 'AUTO_PASSTHROUGH', 'ISTIO_MUTUAL') }, ['mode']),
);
const serverHost = fc.oneof(fc.constant('*'), host, host.map((h) => `*/${h}`), fc.constant('./*'));
const server = fc.oneof(
  rec({ port: rec({ number: port, name: label, protocol: fc.constantFrom('HTTP', 'http', 'GRPC', 'HTTP2', 'TCP', 'MONGO') }, ['number', 'name', 'protocol']), hosts: fc.uniqueArray(serverHost, { minLength: 1, maxLength: 3 }), name: label }, ['port', 'hosts']),
  rec({ port: rec({ number: port, name: label, protocol: fc.constantFrom('HTTPS', 'TLS') }, ['number', 'name', 'protocol']), hosts: fc.uniqueArray(serverHost, { minLength: 1, maxLength: 3 }), tls: serverTls }, ['port', 'hosts', 'tls']),
);
const gatewaySpec = rec({ selector: labels, servers: fc.uniqueArray(server, { minLength: 1, maxLength: 3, selector: (s) => (s.port as { name: string }).name }) }, ['servers']);

const egressHost = fc.oneof(fc.constant('./*'), fc.constant('istio-system/*'), host.map((h) => `*/${h}`), fc.tuple(namespace, host).map(([n, h]) => `${n}/${h}`));
const sidecarSpec = rec(
  {
    workloadSelector: rec({ labels }, ['labels']),
    ingress: fc.uniqueArray(
      rec({ port: rec({ number: port, protocol: fc.constantFrom('HTTP', 'TCP', 'GRPC'), name: label }, ['number']), defaultEndpoint: port.map((p) => `127.0.0.1:${p}`), captureMode: fc.constantFrom('DEFAULT', 'IPTABLES', 'NONE') }, ['port']),
      { maxLength: 2, selector: (l) => (l.port as { number: number }).number },
    ),
    egress: fc
      .uniqueArray(rec({ port: rec({ number: port, protocol: fc.constantFrom('HTTP', 'TCP') }, ['number']), hosts: fc.uniqueArray(egressHost, { minLength: 1, maxLength: 3 }) }, ['port', 'hosts']), {
        maxLength: 2,
        selector: (l) => (l.port as { number: number }).number,
      })
      .chain((ls) => fc.option(fc.uniqueArray(egressHost, { minLength: 1, maxLength: 2 }), { nil: undefined }).map((catchAll) => (catchAll === undefined ? ls : [...ls, { hosts: catchAll }]))),
    outboundTrafficPolicy: rec({ mode: fc.constantFrom('REGISTRY_ONLY', 'ALLOW_ANY') }, ['mode']),
  },
  ['egress'],
).filter((s) => (s.egress as unknown[]).length > 0 || ((s.ingress as unknown[] | undefined) ?? []).length > 0 || s.outboundTrafficPolicy !== undefined);

const workloadGroupSpec = rec(
  {
    metadata: rec({ labels, annotations: fc.dictionary(label, fc.string({ maxLength: 8 }), { maxKeys: 2, noNullPrototype: true }) }, []),
    template: rec({ serviceAccount: label, network: label, ports: fc.dictionary(label, port, { maxKeys: 2, noNullPrototype: true }), labels }, []),
    probe: fc
      .tuple(
        rec({ periodSeconds: fc.nat(60), initialDelaySeconds: fc.nat(60), timeoutSeconds: fc.nat(10), successThreshold: fc.nat(3), failureThreshold: fc.nat(3) }, []),
        fc.oneof(
          rec({ httpGet: rec({ port, path: fc.constantFrom('/healthz', '/ready'), scheme: fc.constantFrom('HTTP', 'HTTPS') }, ['port']) }, ['httpGet']),
          rec({ tcpSocket: rec({ port, host: fc.constant('127.0.0.1') }, ['port']) }, ['tcpSocket']),
          rec({ exec: rec({ command: fc.array(label, { minLength: 1, maxLength: 3 }) }, ['command']) }, ['exec']),
        ),
      )
      .map(([timing, check]) => ({ ...timing, ...check })),
  },
  ['template'],
);

const mtlsMode = fc.constantFrom('UNSET', 'DISABLE', 'PERMISSIVE', 'STRICT');
const peerAuthenticationSpec = fc.oneof(
  rec({ mtls: rec({ mode: mtlsMode }, []) }, []),
  rec(
    {
      selector: rec({ matchLabels: labels }, ['matchLabels']),
      mtls: rec({ mode: mtlsMode }, []),
      portLevelMtls: fc.dictionary(port.map(String), rec({ mode: mtlsMode }, ['mode']), { minKeys: 1, maxKeys: 2, noNullPrototype: true }),
    },
    ['selector'],
  ),
);

const values = fc.array(label, { minLength: 1, maxLength: 2 });
const source = rec(
  {
    principals: values.map((v) => v.map((s) => `cluster.local/ns/default/sa/${s}`)),
    notNamespaces: values,
    ipBlocks: fc.array(fc.ipV4(), { minLength: 1, maxLength: 2 }),
    requestPrincipals: values,
  },
  [],
).filter((s) => Object.keys(s).length > 0);
const operation = rec(
  {
    hosts: fc.array(host, { minLength: 1, maxLength: 2 }),
    ports: fc.array(port.map(String), { minLength: 1, maxLength: 2 }),
    methods: fc.array(fc.constantFrom('GET', 'POST', 'PUT'), { minLength: 1, maxLength: 2 }),
    paths: fc.array(fc.constantFrom('/api/*', '/healthz', '/v1/{*}/items', '/static/{**}'), { minLength: 1, maxLength: 2 }),
  },
  [],
).filter((o) => Object.keys(o).length > 0);
const condition = fc.oneof(
  rec({ key: fc.constantFrom('request.headers[x-user]', 'source.namespace', 'request.auth.claims[groups]'), values }, ['key', 'values']),
  rec({ key: fc.constant('source.ip'), notValues: fc.array(fc.ipV4(), { minLength: 1, maxLength: 2 }) }, ['key', 'notValues']),
);
const authRule = rec({ from: fc.array(rec({ source }, ['source']), { minLength: 1, maxLength: 2 }), to: fc.array(rec({ operation }, ['operation']), { minLength: 1, maxLength: 2 }), when: fc.array(condition, { maxLength: 2 }) }, []);
const authorizationPolicySpec = fc.oneof(
  rec({ selector: rec({ matchLabels: labels }, ['matchLabels']), action: fc.constantFrom('ALLOW', 'DENY', 'AUDIT'), rules: fc.array(authRule, { minLength: 1, maxLength: 3 }) }, ['rules']),
  rec({ action: fc.constant('ALLOW') }, []),
  rec({ targetRef: rec({ kind: fc.constant('Service'), name: label }, ['kind', 'name']), rules: fc.array(authRule, { minLength: 1, maxLength: 2 }) }, ['targetRef', 'rules']),
);

const jwtRule = rec(
  {
    issuer: fc.oneof(host, fc.constant('testing@secure.istio.io')),
    audiences: fc.array(label, { minLength: 1, maxLength: 2 }),
    jwksUri: host.map((h) => `https://${h}/.well-known/jwks.json`),
    fromHeaders: fc.array(rec({ name: fc.constantFrom('authorization', 'x-jwt'), prefix: fc.constant('Bearer ') }, ['name']), { minLength: 1, maxLength: 1 }),
    forwardOriginalToken: fc.boolean(),
    outputClaimToHeaders: fc.array(rec({ header: fc.constantFrom('x-sub', 'x-group'), claim: label }, ['header', 'claim']), { maxLength: 2 }),
    timeout: duration,
  },
  ['issuer'],
);
const requestAuthenticationSpec = rec({ selector: rec({ matchLabels: labels }, ['matchLabels']), jwtRules: fc.array(jwtRule, { maxLength: 2 }) }, []);

export const gatewayDoc = doc(NET, 'Gateway', gatewaySpec);
export const sidecarDoc = doc(NET, 'Sidecar', sidecarSpec);
export const workloadGroupDoc = doc(NET, 'WorkloadGroup', workloadGroupSpec);
export const peerAuthenticationDoc = doc(SEC, 'PeerAuthentication', peerAuthenticationSpec);
export const authorizationPolicyDoc = doc(SEC, 'AuthorizationPolicy', authorizationPolicySpec);
export const requestAuthenticationDoc = doc(SEC, 'RequestAuthentication', requestAuthenticationSpec);

/** A valid document of any of the ten kinds. */
export const anyKindDoc: fc.Arbitrary<IstioDocument> = fc.oneof(
  virtualServiceDoc(),
  destinationRuleDoc(),
  serviceEntryDoc(),
  workloadEntryDoc(),
  gatewayDoc,
  sidecarDoc,
  workloadGroupDoc,
  peerAuthenticationDoc,
  authorizationPolicyDoc,
  requestAuthenticationDoc,
);
