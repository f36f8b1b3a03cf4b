import { generateKeyPairSync } from 'node:crypto';
import type { Logger } from '@jetmesh/log';
import type { AuthorityKeeper, AuthorityView } from './authority-keeper.js';
import { issueCertificate } from './csr-signer.js';
import { spiffeId } from '@jetmesh/model';
import type { TlsIdentityProvider } from './tls-identity.js';
import { isIpAddress } from './ip-address.js';

export interface ServerIdentityOptions {
  readonly trustDomain: string;
  /** DNS names and IP addresses clients dial citadel by. */
  readonly serverNames: readonly string[];
  readonly ttlMs: number;
}

/** Citadel's own workload identity, in the namespace it is deployed to by convention. */
export const CITADEL_IDENTITY = { namespace: 'jetmesh-system', serviceAccount: 'citadel' } as const;

/** A failed renewal (which only a bug can cause) is retried after this long. */
const RETRY_MS = 5_000;

/**
 * Keeps the TLS server certificate current: issued by this CA at start (resolves
 * once it is), again when the issuing root changes, and at half its lifetime;
 * the trusted roots follow every CA change (a rotation adds and later removes one).
 */
export async function keepServerIdentity(keeper: AuthorityKeeper, provider: TlsIdentityProvider, opts: ServerIdentityOptions, log: Logger): Promise<{ stop(): void }> {
  let timer: NodeJS.Timeout | undefined;
  let issuingFor: string | undefined;
  let latest = 0;
  let stopped = false;

  const schedule = (delayMs: number): void => {
    clearTimeout(timer);
    if (stopped) return;
    timer = setTimeout(() => void renew(keeper.current()), delayMs);
    timer.unref();
  };

  /** Issues and installs a certificate from `view`; throws when it cannot. */
  const issue = async (view: AuthorityView): Promise<void> => {
    const attempt = ++latest;
    issuingFor = view.signing.rootId;
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const issued = await issueCertificate(view.signing, {
      subjectPublicKeyInfo: publicKey.export({ type: 'spki', format: 'der' }),
      names: {
        uris: [spiffeId({ trustDomain: opts.trustDomain, ...CITADEL_IDENTITY })],
        dnsNames: opts.serverNames.filter((n) => !isIpAddress(n)),
        ipAddresses: opts.serverNames.filter(isIpAddress),
      },
      ttlMs: opts.ttlMs,
    });
    // Signing is asynchronous: a renewal started later (a newer root) wins over one that finishes later.
    if (attempt !== latest || stopped) return;
    provider.update({
      // The roots as they are now: they may have changed while this was signed.
      trustedPem: keeper.current().trustedPem,
      certChainPem: issued.chainPems.join(''),
      keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    });
    log.info({ serial: issued.serialHex, notAfter: issued.notAfter.toISOString(), rootId: view.signing.rootId }, 'server certificate issued');
    schedule(Math.max((issued.notAfter.getTime() - Date.now()) / 2, 1000));
  };

  /** A later renewal: a failure is logged and retried, the current certificate serving meanwhile. */
  const renew = async (view: AuthorityView): Promise<void> => {
    const attempt = latest + 1;
    try {
      await issue(view);
    } catch (err) {
      if (attempt !== latest || stopped) return;
      log.error({ err, rootId: view.signing.rootId }, 'server certificate not issued; retrying');
      issuingFor = undefined;
      schedule(RETRY_MS);
    }
  };

  await issue(keeper.current());
  const unsubscribe = keeper.onChange((view) => {
    if (view.signing.rootId !== issuingFor) void renew(view);
    else {
      const current = provider.current();
      if (current !== undefined) provider.update({ ...current, trustedPem: view.trustedPem });
    }
  });
  return {
    stop: () => {
      stopped = true;
      clearTimeout(timer);
      unsubscribe();
    },
  };
}
