import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { resolve } from 'node:path';
import type { Registry } from 'prom-client';
import { Buckets, openJsonBucket, provisionTrustBuckets, type Bus } from '@jetmesh/bus';
import type { Logger } from '@jetmesh/log';
import { JwksCodec, TrustBundleCodec } from '@jetmesh/model';
import { adminService } from './admin-service.js';
import { writeAdminTokenFile } from './admin-token-file.js';
import { publishJwks, startAuthorityKeeper, type AuthorityKeeper } from './authority-keeper.js';
import { createCaAuditLog } from './ca-audit-log.js';
import { serveCa } from './ca-grpc-server.js';
import { CaKeys, ensureOnce, openCaStore } from './ca-store.js';
import { certificateService } from './certificate-service.js';
import { createCitadelMetrics } from './citadel-metrics.js';
import type { CitadelConfig } from './env.js';
import { loadPluggedInCa } from './plugged-in-ca.js';
import { keepServerIdentity } from './server-identity.js';
import { TlsIdentityProvider } from './tls-identity.js';
import { createTokenIssuer, generateTokenSigningKey } from './token-issuer.js';
import { cachedVerifier } from './verified-token-cache.js';
import { busCredentialsService, type BusAccount } from './bus-credentials-service.js';

export type CitadelOptions = Omit<CitadelConfig, 'natsUrl' | 'natsUser' | 'natsPassword' | 'streamReplicas' | 'natsReadyTimeoutMs' | 'adminPort' | 'adminHost' | 'logLevel' | 'replica' | 'adminTokenFile' | 'cacertsDir' | 'natsAccount' | 'natsSigningKey' | 'natsCreds'> & {
  readonly registry: Registry;
  /** Istio-style cacerts directory; undefined: a self-signed root shared through KV. */
  readonly cacertsDir?: string;
  readonly replica?: string;
  /** Undefined: the secret is not written anywhere. */
  readonly adminTokenFile?: string;
  readonly clock?: () => Date;
  /** The mesh account's signing key, to mint workloads' NATS users; undefined: none are minted. */
  readonly busAccount?: BusAccount;
};

export interface Citadel {
  /** host:port of the TLS gRPC API. */
  readonly address: string;
  readonly port: number;
  readonly authority: AuthorityKeeper;
  /** The secret that authenticates admin calls. */
  readonly adminSecret: string;
  close(): Promise<void>;
}

/** A plugged-in CA that cannot be read stops citadel at start. */
export class CacertsError extends Error {
  override readonly name = 'CacertsError';
}

/**
 * Starts one citadel replica on `bus`: buckets, the CA (created once per mesh,
 * or plugged in), token key and admin secret, trust bundle and JWKS, then the
 * TLS gRPC API.
 */
export async function startCitadel(bus: Bus, opts: CitadelOptions, log: Logger): Promise<Citadel> {
  const clock = opts.clock ?? (() => new Date());
  const replica = opts.replica ?? `${hostname()}-${process.pid}`;
  await provisionTrustBuckets(bus);
  const store = await openCaStore(bus);
  const trustBundles = await openJsonBucket(bus, Buckets.trust, TrustBundleCodec);
  const jwksBucket = await openJsonBucket(bus, Buckets.trust, JwksCodec);
  const audit = createCaAuditLog(bus, replica, clock);
  const metrics = createCitadelMetrics(opts.registry);

  let pluggedIn;
  if (opts.cacertsDir !== undefined) {
    const loaded = await loadPluggedInCa(opts.cacertsDir);
    if (loaded._tag === 'Left') throw new CacertsError(`cannot use the CA in ${opts.cacertsDir}:\n${loaded.left.join('\n')}`);
    pluggedIn = loaded.right;
  }
  const authority = await startAuthorityKeeper(
    { store, trust: trustBundles, audit, metrics, log },
    {
      trustDomain: opts.trustDomain,
      rootAlgorithm: opts.rootKey,
      rootTtlMs: opts.rootTtlMs,
      timing: { propagationMs: opts.rootPropagationMs, graceMs: opts.rootGraceMs },
      ...(pluggedIn === undefined ? {} : { pluggedIn }),
      clock,
    },
  );

  const tokenKey = await ensureOnce(store.tokenKey, CaKeys.tokenKey, () => generateTokenSigningKey(clock()));
  const tokens = await createTokenIssuer(tokenKey.entry.value);
  await publishJwks(jwksBucket, tokens.jwks);
  const adminSecret = await ensureOnce(store.adminSecret, CaKeys.adminSecret, () => ({ secret: randomBytes(32).toString('base64url'), createdAt: clock().toISOString() }));
  if (opts.adminTokenFile !== undefined) {
    const file = resolve(opts.adminTokenFile);
    await writeAdminTokenFile(file, adminSecret.entry.value.secret);
    log.info({ file }, 'admin secret written');
  }

  const tokenVerifier = cachedVerifier(tokens.verifier);
  const tls = new TlsIdentityProvider();
  const identity = await keepServerIdentity(authority, tls, { trustDomain: opts.trustDomain, serverNames: opts.serverNames, ttlMs: opts.serverCertTtlMs }, log);
  const handlers = {
    ca: certificateService({
      trustDomain: opts.trustDomain,
      limits: { defaultTtlMs: opts.defaultTtlMs, maxTtlMs: opts.maxTtlMs },
      authority,
      tokens: () => tokenVerifier,
      audit,
      metrics,
      log,
    }),
    admin: adminService({
      trustDomain: opts.trustDomain,
      adminSecret: adminSecret.entry.value.secret,
      tokenLimits: { defaultTtlSeconds: Math.floor(opts.tokenTtlMs / 1000), maxTtlSeconds: Math.floor(opts.maxTokenTtlMs / 1000) },
      tokens,
      authority,
      audit,
      metrics,
      log,
    }),
    bus: busCredentialsService({ trustDomain: opts.trustDomain, account: opts.busAccount, authority, tokens: () => tokenVerifier, bus, audit, metrics, log }),
  };
  const server = await serveCa(handlers, tls, { host: opts.host, port: opts.port, maxRequestBytes: opts.maxRequestBytes }, log);
  return {
    address: server.address,
    port: server.port,
    authority,
    adminSecret: adminSecret.entry.value.secret,
    close: async () => {
      await server.close();
      identity.stop();
      await authority.close();
    },
  };
}
