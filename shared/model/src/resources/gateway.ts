import * as t from 'io-ts';
import { bool, enumOf, list, refine, str, struct } from '../codec/schema.js';
import { ipAddressReason, isHttpProtocol, isTlsProtocol, labels, namespacedHostReason, portName, portNumber, protocol } from '../codec/istio-fields.js';

/** networking.istio.io Gateway: the listeners of an edge proxy (ports, hosts, TLS), checked like Istio's webhook. */

type Problems = Array<{ path: string; reason: string }>;

const TLS_VERSIONS = ['TLS_AUTO', 'TLSV1_0', 'TLSV1_1', 'TLSV1_2', 'TLSV1_3'] as const;

/** One of a server's certificates (an RSA and an ECDSA one, say): files on the gateway. */
const TLSCertificate = struct('TLSCertificate', {}, { serverCertificate: str, privateKey: str, caCertificates: str });
// The CRD allows one or two (kubebuilder MinItems=1, MaxItems=2).
const tlsCertificates = refine(list(TLSCertificate, { minItems: 1 }), 'TLSCertificates', (l) => (l.length > 2 ? 'must have at most 2 items' : undefined));

/** TLS of a server (Gateway) or of an inbound listener (Sidecar). */
export const ServerTLSSettings = struct(
  'ServerTLSSettings',
  {},
  {
    httpsRedirect: bool,
    mode: enumOf('ServerTLSMode', ['PASSTHROUGH', 'SIMPLE', 'MUTUAL', 'AUTO_PASSTHROUGH', 'ISTIO_MUTUAL', 'OPTIONAL_MUTUAL'] as const),
    serverCertificate: str,
    privateKey: str,
    caCertificates: str,
    caCrl: str,
    credentialName: str,
    credentialNames: refine(list(str, { minItems: 1 }), 'CredentialNames', (l) => (l.length > 2 ? 'must have at most 2 items' : undefined)),
    caCertCredentialName: str,
    tlsCertificates,
    subjectAltNames: list(str),
    verifyCertificateSpki: list(str),
    verifyCertificateHash: list(str),
    minProtocolVersion: enumOf('TLSProtocol', TLS_VERSIONS),
    maxProtocolVersion: enumOf('TLSProtocol', TLS_VERSIONS),
    cipherSuites: list(str),
  },
  {
    check: (tls) => {
      const problems: Problems = [];
      const mode = tls.mode ?? 'PASSTHROUGH';
      const files = { serverCertificate: tls.serverCertificate, privateKey: tls.privateKey, caCertificates: tls.caCertificates };
      if (mode === 'ISTIO_MUTUAL') {
        for (const [k, v] of Object.entries({ ...files, credentialName: tls.credentialName, credentialNames: tls.credentialNames, tlsCertificates: tls.tlsCertificates })) {
          if (v !== undefined) problems.push({ path: k, reason: 'cannot be set with mode ISTIO_MUTUAL (Istio provides the certificates)' });
        }
      }
      const byCredential = tls.credentialName !== undefined || tls.credentialNames !== undefined;
      if ((mode === 'SIMPLE' || mode === 'MUTUAL' || mode === 'OPTIONAL_MUTUAL') && !byCredential) {
        // Each certificate of tlsCertificates, else the server's own pair, as Istio checks them.
        const pairs = tls.tlsCertificates?.map((c, i) => ({ at: `tlsCertificates[${i}].`, c })) ?? [{ at: '', c: tls }];
        for (const { at, c } of pairs) {
          if (c.serverCertificate === undefined) problems.push({ path: `${at}serverCertificate`, reason: `required for mode ${mode} (or set credentialName)` });
          if (c.privateKey === undefined) problems.push({ path: `${at}privateKey`, reason: `required for mode ${mode} (or set credentialName)` });
        }
        if (mode !== 'SIMPLE' && tls.caCertificates === undefined) problems.push({ path: 'caCertificates', reason: `required for mode ${mode} (or set credentialName)` });
      }
      if (tls.credentialName !== undefined && tls.credentialNames !== undefined) problems.push({ path: 'credentialNames', reason: 'cannot be combined with credentialName' });
      const ownPair = tls.serverCertificate !== undefined && tls.privateKey !== undefined;
      if (tls.tlsCertificates !== undefined && (byCredential || ownPair)) {
        problems.push({ path: 'tlsCertificates', reason: 'only one of credentialName, credentialNames, serverCertificate/privateKey, tlsCertificates should be specified' });
      }
      if (tls.caCrl !== undefined && byCredential) problems.push({ path: 'caCrl', reason: 'cannot be combined with credentialName (put the CRL in the credential)' });
      if (tls.caCrl !== undefined && mode === 'SIMPLE') problems.push({ path: 'caCrl', reason: 'is not supported with mode SIMPLE' });
      const order = (v: string | undefined): number => TLS_VERSIONS.indexOf((v ?? 'TLS_AUTO') as (typeof TLS_VERSIONS)[number]);
      if (tls.minProtocolVersion !== undefined && tls.maxProtocolVersion !== undefined && order(tls.maxProtocolVersion) > 0 && order(tls.minProtocolVersion) > order(tls.maxProtocolVersion)) {
        problems.push({ path: 'minProtocolVersion', reason: 'must not be above maxProtocolVersion' });
      }
      return problems;
    },
  },
);
export type ServerTLSSettings = t.TypeOf<typeof ServerTLSSettings>;

export const GatewayPort = struct('Port', { number: portNumber, protocol, name: portName }, { targetPort: portNumber }, {
  check: (p) => (p.targetPort !== undefined ? [{ path: 'targetPort', reason: 'has no effect on a Gateway: remove it' }] : []),
});

const serverHost = refine(str, 'ServerHost', (h) => namespacedHostReason(h, false));
const bind = refine(str, 'Bind', (b) => (b.startsWith('unix://') ? undefined : ipAddressReason(b)));

export const Server = struct(
  'Server',
  { port: GatewayPort, hosts: list(serverHost, { minItems: 1 }) },
  { bind, defaultEndpoint: str, tls: ServerTLSSettings, name: str },
  {
    check: (s) => {
      const tlsPort = isTlsProtocol(s.port.protocol);
      if (tlsPort && s.tls === undefined) return [{ path: 'tls', reason: `required for a ${s.port.protocol.toUpperCase()} port` }];
      if (!tlsPort && s.tls !== undefined) {
        const redirectOnly = s.tls.httpsRedirect === true && Object.keys(s.tls).length === 1;
        if (!isHttpProtocol(s.port.protocol)) return [{ path: 'tls', reason: `a ${s.port.protocol.toUpperCase()} port cannot have TLS settings (use HTTPS or TLS)` }];
        if (!redirectOnly) return [{ path: 'tls', reason: 'a plain-text HTTP port can only set tls.httpsRedirect' }];
      }
      return [];
    },
  },
);

export const GatewaySpec = struct(
  'GatewaySpec',
  { servers: list(Server, { minItems: 1 }) },
  { selector: labels },
  {
    check: (g) => {
      const problems: Problems = [];
      const names = new Map<string, number>();
      g.servers.forEach((s, i) => {
        const first = names.get(s.port.name);
        if (first !== undefined) problems.push({ path: `servers[${i}].port.name`, reason: `duplicate port name "${s.port.name}" (also servers[${first}])` });
        else names.set(s.port.name, i);
      });
      return problems;
    },
  },
);
export type GatewaySpec = t.TypeOf<typeof GatewaySpec>;

/** Cipher suites Envoy (BoringSSL) knows, as Istio lists them (pkg/config/security ValidCipherSuites). */
const VALID_CIPHER_SUITES = new Set([
  'ECDHE-ECDSA-AES128-GCM-SHA256', 'ECDHE-RSA-AES128-GCM-SHA256', 'ECDHE-ECDSA-AES256-GCM-SHA384', 'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305', 'ECDHE-RSA-CHACHA20-POLY1305', 'ECDHE-ECDSA-AES128-SHA', 'ECDHE-RSA-AES128-SHA',
  'ECDHE-ECDSA-AES256-SHA', 'ECDHE-RSA-AES256-SHA', 'AES128-GCM-SHA256', 'AES256-GCM-SHA384', 'AES128-SHA', 'AES256-SHA', 'DES-CBC3-SHA',
]);
// As Istio: empty, ALL, and expressions starting with an operator (`-`, `+`, `!`, `[`) are left to Envoy.
const knownCipherSuite = (cs: string): boolean => cs === '' || cs === 'ALL' || !/^[\p{L}\p{N}]/u.test(cs) || VALID_CIPHER_SUITES.has(cs);
const sortedUnique = (xs: readonly string[]): string => `[${[...new Set(xs)].sort().join(' ')}]`;

/** Istio's warnings for the TLS of a server or an inbound listener (validateTLSOptions); `at` is the settings' path. */
export const serverTlsWarnings = (tls: ServerTLSSettings, at: string): Array<{ path: string; reason: string }> => {
  const out: Array<{ path: string; reason: string }> = [];
  const suites = tls.cipherSuites ?? [];
  if ((tls.minProtocolVersion === 'TLSV1_0' || tls.minProtocolVersion === 'TLSV1_1') && suites.length === 0) {
    out.push({ path: `${at}.minProtocolVersion`, reason: 'TLS versions below TLSV1_2 need compatible cipherSuites set: the default suites no longer include any' });
  }
  const unknown = suites.filter((cs) => !knownCipherSuite(cs));
  if (unknown.length > 0) out.push({ path: `${at}.cipherSuites`, reason: `ignoring invalid cipher suites: ${sortedUnique(unknown)}` });
  const duplicates = suites.filter((cs, i) => knownCipherSuite(cs) && !unknown.includes(cs) && suites.indexOf(cs) !== i);
  if (duplicates.length > 0) out.push({ path: `${at}.cipherSuites`, reason: `ignoring duplicate cipher suites: ${sortedUnique(duplicates)}` });
  const mode = tls.mode ?? 'PASSTHROUGH';
  if (mode === 'PASSTHROUGH' || mode === 'AUTO_PASSTHROUGH') {
    const certificates = [tls.caCrl, tls.serverCertificate, tls.privateKey, tls.caCertificates, tls.credentialName].some((v) => v !== undefined && v !== '') || (tls.credentialNames ?? []).length > 0;
    if (certificates) out.push({ path: at, reason: `${mode} mode does not use certificates, they will be ignored` });
  }
  return out;
};

/** Istio's webhook warnings for a Gateway (ValidateGateway); paths inside the spec. */
export const gatewayWarnings = (g: GatewaySpec): Array<{ path: string; reason: string }> =>
  g.servers.flatMap((s, i) => [
    ...(s.tls !== undefined ? serverTlsWarnings(s.tls, `servers[${i}].tls`) : []),
    ...(s.tls?.httpsRedirect === true && !isHttpProtocol(s.port.protocol) ? [{ path: `servers[${i}].tls.httpsRedirect`, reason: 'tls.httpsRedirect should only be used with http servers' }] : []),
  ]);
