import tls, { type SecureContext } from 'node:tls';
import { peerIdentityCheck } from '../identity/peer-identity.js';

/** A workload's current credentials: its key, certificate chain (leaf first) and the roots it trusts. */
export interface IdentityMaterial {
  readonly keyPem: string;
  readonly chainPem: string;
  readonly rootsPem: string;
  readonly spiffeId: string;
}

const trustDomainOf = (spiffeId: string): string | undefined => /^spiffe:\/\/([^/]+)\//.exec(spiffeId)?.[1];

/**
 * TLS contexts built from the current identity. Replacing the identity (renewal, root
 * rotation) rebuilds them; connections already open keep the context they started with.
 */
export class MeshTls {
  private material: IdentityMaterial | undefined;
  private client: SecureContext | undefined;
  private readonly listeners = new Set<(m: IdentityMaterial) => void>();

  update(material: IdentityMaterial): void {
    this.material = material;
    this.client = tls.createSecureContext({ key: material.keyPem, cert: material.chainPem, ca: material.rootsPem });
    for (const l of this.listeners) l(material);
  }

  current(): IdentityMaterial | undefined {
    return this.material;
  }

  onChange(listener: (m: IdentityMaterial) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Options for the inbound listener's TLS: peers must present a certificate chaining to our roots. */
  serverOptions(): tls.SecureContextOptions & { requestCert: true; rejectUnauthorized: true } {
    const m = this.material;
    return { ...(m !== undefined ? { key: m.keyPem, cert: m.chainPem, ca: m.rootsPem } : {}), requestCert: true, rejectUnauthorized: true };
  }

  /**
   * Dials a peer proxy. SPIFFE certificates name no host, so the host check is replaced by
   * the identity check: the peer must be `expected` (when the endpoint names its service
   * account) or at least a workload of our trust domain.
   */
  connect(host: string, port: number, expected: { namespace?: string; serviceAccount?: string }): tls.TLSSocket {
    const ctx = this.client;
    if (ctx === undefined || this.material === undefined) throw new Error('no workload certificate yet');
    const trustDomain = trustDomainOf(this.material.spiffeId);
    const socket = tls.connect({
      host,
      port,
      secureContext: ctx,
      ALPNProtocols: ['h2'],
      rejectUnauthorized: true,
      checkServerIdentity: peerIdentityCheck({
        trustDomain: trustDomain ?? '',
        ...(expected.namespace !== undefined && expected.serviceAccount !== undefined ? { expected: { namespace: expected.namespace, serviceAccount: expected.serviceAccount } } : {}),
      }),
    });
    // Small HTTP/2 frames must not wait for Nagle (stalls against delayed ACKs).
    socket.setNoDelay(true);
    return socket;
  }
}
