import type { experimental } from '@grpc/grpc-js';

type CertificateProvider = experimental.CertificateProvider;
type CaListener = experimental.CaCertificateUpdateListener;
type IdentityListener = experimental.IdentityCertificateUpdateListener;

export interface TlsMaterial {
  /** The roots client certificates must chain to, PEM. */
  readonly trustedPem: string;
  /** The server certificate and what follows it up to the root, PEM. */
  readonly certChainPem: string;
  readonly keyPem: string;
}

/**
 * The server's TLS material, replaceable at run time (new roots during a
 * rotation, a renewed server certificate) without restarting the gRPC server.
 * One provider serves both roles of grpc-js' certificate-provider credentials.
 */
export class TlsIdentityProvider implements CertificateProvider {
  private material: TlsMaterial | undefined;
  private readonly caListeners = new Set<CaListener>();
  private readonly identityListeners = new Set<IdentityListener>();

  update(material: TlsMaterial): void {
    this.material = material;
    for (const listener of this.caListeners) this.sendCa(listener);
    for (const listener of this.identityListeners) this.sendIdentity(listener);
  }

  current(): TlsMaterial | undefined {
    return this.material;
  }

  // grpc-js subscribes its server watcher only after adding our listeners, so a
  // synchronous first delivery would be lost: deliver on the next tick.
  private sendCa(listener: CaListener): void {
    const m = this.material;
    if (m !== undefined) setImmediate(() => listener({ caCertificate: Buffer.from(m.trustedPem) }));
  }

  private sendIdentity(listener: IdentityListener): void {
    const m = this.material;
    if (m !== undefined) setImmediate(() => listener({ certificate: Buffer.from(m.certChainPem), privateKey: Buffer.from(m.keyPem) }));
  }

  addCaCertificateListener(listener: CaListener): void {
    this.caListeners.add(listener);
    this.sendCa(listener);
  }

  removeCaCertificateListener(listener: CaListener): void {
    this.caListeners.delete(listener);
  }

  addIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.add(listener);
    this.sendIdentity(listener);
  }

  removeIdentityCertificateListener(listener: IdentityListener): void {
    this.identityListeners.delete(listener);
  }
}
