import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/** A listening HTTP server: the port it got (0 asks for a free one) and how to stop it. */
export interface HttpListener {
  readonly port: number;
  close(): Promise<void>;
}

/** Listens on host:port (a bind failure rejects instead of throwing later) and closes without waiting on idle clients. */
export async function listenHttp(server: Server, port: number, host: string): Promise<HttpListener> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((err) => (err ? reject(err) : resolve()));
        // Keep-alive connections (scrapers, browsers) would otherwise hold close() open.
        server.closeAllConnections();
      }),
  };
}
