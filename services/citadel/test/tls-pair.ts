import { createServer, connect, type TLSSocket } from 'node:tls';
import type { AddressInfo } from 'node:net';

export interface TlsEnd {
  readonly keyPem: string;
  readonly chainPem: string;
}

/**
 * A real mutual-TLS handshake between two workloads, each verifying the other
 * against `trustedPem` (the mesh trust bundle). SPIFFE certificates carry no
 * DNS name, so the server name check is replaced by the identity check a mesh
 * does; the chain check is TLS' own. Resolves what each side saw.
 */
export async function mutualTls(server: TlsEnd, client: TlsEnd, trustedPem: string): Promise<{ serverAuthorized: boolean; clientAuthorized: boolean; serverSaw: string; clientSaw: string }> {
  let resolveServerSide: (v: { authorized: boolean; peer: string }) => void = () => {};
  const serverSide = new Promise<{ authorized: boolean; peer: string }>((r) => (resolveServerSide = r));
  const tlsServer = createServer({ key: server.keyPem, cert: server.chainPem, ca: trustedPem, requestCert: true, rejectUnauthorized: false }, (socket: TLSSocket) => {
    resolveServerSide({ authorized: socket.authorized, peer: socket.getPeerCertificate().subjectaltname ?? '' });
    socket.end();
  });
  await new Promise<void>((r) => tlsServer.listen(0, '127.0.0.1', r));
  try {
    const { port } = tlsServer.address() as AddressInfo;
    const clientSide = await new Promise<{ authorized: boolean; peer: string }>((resolve, reject) => {
      const socket = connect({ host: '127.0.0.1', port, key: client.keyPem, cert: client.chainPem, ca: trustedPem, rejectUnauthorized: false, checkServerIdentity: () => undefined }, () => {
        resolve({ authorized: socket.authorized, peer: socket.getPeerCertificate().subjectaltname ?? '' });
        socket.end();
      });
      socket.on('error', reject);
    });
    const s = await serverSide;
    return { serverAuthorized: s.authorized, clientAuthorized: clientSide.authorized, serverSaw: s.peer, clientSaw: clientSide.peer };
  } finally {
    await new Promise<void>((r) => tlsServer.close(() => r()));
  }
}
