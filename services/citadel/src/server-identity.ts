import { generateKeyPairSync } from 'node:crypto';
import type { Logger } from '@jetmesh/log';
import type { AuthorityKeeper, AuthorityView } from './authority-keeper.js';
import { issueCertificate } from './csr-signer.js';
import { spiffeId } from './spiffe-id.js';
import type { TlsIdentityProvider } from './tls-identity.js';

export interface ServerIdentityOptions {
  readonly trustDomain: string;
  /** DNS names and IP addresses clients dial citadel by. */
  readonly serverNames: readonly string[];
  readonly ttlMs: number;
}

/** Citadel's own workload identity, in the namespace it is deployed to by convention. */
export const CITADEL_IDENTITY = { namespace: 'jetmesh-system', serviceAccount: 'citadel' } as const;

const isIpAddress = (name: string): boolean => /^\d{1,3}(\.\d{1,3}){3}$/.test(name) || name.includes(':');

/**
 * Keeps the TLS server certificate current: issued by this CA at start, again
 * when the issuing root changes, and at half its lifetime; the trusted roots
 * follow every CA change (a rotation adds and later removes one).
 */
export function keepServerIdentity(keeper: AuthorityKeeper, provider: TlsIdentityProvider, opts: ServerIdentityOptions, log: Logger): { stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let issuedBy: string | undefined;

  const renew = (view: AuthorityView): void => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const issued = issueCertificate(view.signing, {
      subjectPublicKeyInfo: publicKey.export({ type: 'spki', format: 'der' }),
      names: {
        uris: [spiffeId({ trustDomain: opts.trustDomain, ...CITADEL_IDENTITY })],
        dnsNames: opts.serverNames.filter((n) => !isIpAddress(n)),
        ipAddresses: opts.serverNames.filter(isIpAddress),
      },
      ttlMs: opts.ttlMs,
    });
    issuedBy = view.signing.rootId;
    provider.update({
      trustedPem: view.trustedPem,
      certChainPem: issued.chainPems.join(''),
      keyPem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
    });
    log.info({ serial: issued.serialHex, notAfter: issued.notAfter.toISOString(), rootId: issuedBy }, 'server certificate issued');
    clearTimeout(timer);
    timer = setTimeout(() => renew(keeper.current()), Math.max((issued.notAfter.getTime() - Date.now()) / 2, 1000));
    timer.unref();
  };

  renew(keeper.current());
  const unsubscribe = keeper.onChange((view) => {
    if (view.signing.rootId !== issuedBy) renew(view);
    else {
      const current = provider.current();
      if (current !== undefined) provider.update({ ...current, trustedPem: view.trustedPem });
    }
  });
  return {
    stop: () => {
      clearTimeout(timer);
      unsubscribe();
    },
  };
}
