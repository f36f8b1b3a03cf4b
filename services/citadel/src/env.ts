import { AdminEnv, MeshPorts, textCodec, durationMs, envVar, logLevel, NatsEnv, nonEmptyString, optionalEnvVar, port, positiveInt, type ConfigOf } from '@jetmesh/runtime';
import { caKeyAlgorithms, type CaKeyAlgorithm } from './ca-key.js';
import { trustDomainReason } from '@jetmesh/model';
import { isIpAddress } from './ip-address.js';

export const CITADEL_DEFAULT_PORT = MeshPorts.citadelCa;

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

const caKeyAlgorithm = textCodec<CaKeyAlgorithm>(
  'caKeyAlgorithm',
  (text) => (caKeyAlgorithms as readonly string[]).includes(text) ? (text as CaKeyAlgorithm) : undefined,
  `must be one of ${caKeyAlgorithms.join(', ')}`,
);

const trustDomain = textCodec('trustDomain', (text) => (trustDomainReason(text) === undefined ? text : undefined), 'must be 1-255 of a-z 0-9 . - _');

/** A DNS name or an IP address; digits-and-dots or colons that are not a valid IP (`999.1.1.1`) are neither. */
const isServerName = (name: string): boolean =>
  isIpAddress(name) || (/^[A-Za-z0-9.-]+$/.test(name) && !/^[0-9.]+$/.test(name));

const nameList = textCodec(
  'nameList',
  (text) => {
    const names = text.split(',').map((n) => n.trim()).filter((n) => n !== '');
    return names.length > 0 && names.every(isServerName) ? names : undefined;
  },
  'must be a comma-separated list of DNS names and IP addresses (IPv4 dotted quad, IPv6 text)',
);

const natsAccountKey = textCodec('natsAccountKey', (s) => (/^A[A-Z2-7]{55}$/.test(s) ? s : undefined), 'must be an account public nkey (A followed by 55 base32 characters)');
const natsAccountSeed = textCodec('natsAccountSeed', (s) => (/^SA[A-Z2-7]{56}$/.test(s) ? s : undefined), 'must be an account nkey seed (SA followed by 56 base32 characters)');

/** Citadel's whole configuration, read once from the environment by main. */
export const CitadelEnv = {
  ...NatsEnv,
  host: envVar('JETMESH_CITADEL_HOST', nonEmptyString, '127.0.0.1'),
  port: envVar('JETMESH_CITADEL_PORT', port, CITADEL_DEFAULT_PORT),
  ...AdminEnv,
  logLevel: envVar('JETMESH_LOG_LEVEL', logLevel, 'info'),
  trustDomain: envVar('JETMESH_TRUST_DOMAIN', trustDomain, 'cluster.local'),
  /** Key type of a self-signed root; ECDSA signs ~20x faster than RSA. */
  rootKey: envVar('JETMESH_CITADEL_ROOT_KEY', caKeyAlgorithm, 'ecdsa-p256'),
  rootTtlMs: envVar('JETMESH_CITADEL_ROOT_TTL', durationMs, 10 * 365 * DAY_MS),
  /** Istio-style cacerts directory; unset: a self-signed root shared through KV. */
  cacertsDir: optionalEnvVar('JETMESH_CITADEL_CACERTS_DIR', nonEmptyString),
  defaultTtlMs: envVar('JETMESH_CITADEL_DEFAULT_TTL', durationMs, DAY_MS),
  maxTtlMs: envVar('JETMESH_CITADEL_MAX_TTL', durationMs, 90 * DAY_MS),
  rootPropagationMs: envVar('JETMESH_CITADEL_ROOT_PROPAGATION', durationMs, 60_000),
  rootGraceMs: envVar('JETMESH_CITADEL_ROOT_GRACE', durationMs, DAY_MS),
  serverNames: envVar('JETMESH_CITADEL_SERVER_NAMES', nameList, ['localhost', '127.0.0.1', '::1', 'citadel', 'citadel.jetmesh-system.svc']),
  serverCertTtlMs: envVar('JETMESH_CITADEL_SERVER_CERT_TTL', durationMs, DAY_MS),
  tokenTtlMs: envVar('JETMESH_CITADEL_TOKEN_TTL', durationMs, HOUR_MS),
  maxTokenTtlMs: envVar('JETMESH_CITADEL_MAX_TOKEN_TTL', durationMs, DAY_MS),
  /** Where the admin secret is written for the local CLI (relative to the working directory). */
  adminTokenFile: envVar('JETMESH_ADMIN_TOKEN_FILE', nonEmptyString, '.jetmesh/admin-token'),
  /** Recorded in audit events; default host-pid. */
  replica: optionalEnvVar('JETMESH_CITADEL_REPLICA', nonEmptyString),
  maxRequestBytes: envVar('JETMESH_CITADEL_MAX_REQUEST_BYTES', positiveInt, 256 * 1024),
  /**
   * The mesh's NATS account (public nkey) and the seed of one of its signing keys: with both,
   * citadel mints each workload its own NATS user (BusCredentialsService). Unset: it mints none.
   */
  natsAccount: optionalEnvVar('JETMESH_CITADEL_NATS_ACCOUNT', natsAccountKey, { requires: ['JETMESH_CITADEL_NATS_SIGNING_KEY'] }),
  natsSigningKey: optionalEnvVar('JETMESH_CITADEL_NATS_SIGNING_KEY', natsAccountSeed, { requires: ['JETMESH_CITADEL_NATS_ACCOUNT'], secret: true }),
};

export type CitadelConfig = ConfigOf<typeof CitadelEnv>;

/** Rules across variables, one line each. */
export function configProblems(config: CitadelConfig): string[] {
  const problems: string[] = [];
  if (config.defaultTtlMs > config.maxTtlMs) problems.push('JETMESH_CITADEL_DEFAULT_TTL must not exceed JETMESH_CITADEL_MAX_TTL');
  if (config.tokenTtlMs > config.maxTokenTtlMs) problems.push('JETMESH_CITADEL_TOKEN_TTL must not exceed JETMESH_CITADEL_MAX_TOKEN_TTL');
  for (const [variable, ms] of [
    ['JETMESH_CITADEL_DEFAULT_TTL', config.defaultTtlMs],
    ['JETMESH_CITADEL_MAX_TTL', config.maxTtlMs],
    ['JETMESH_CITADEL_ROOT_TTL', config.rootTtlMs],
    ['JETMESH_CITADEL_TOKEN_TTL', config.tokenTtlMs],
    ['JETMESH_CITADEL_SERVER_CERT_TTL', config.serverCertTtlMs],
  ] as const) {
    if (ms < 1000) problems.push(`${variable} must be at least 1s`);
  }
  return problems;
}
