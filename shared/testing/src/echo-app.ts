import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import http2 from 'node:http2';
import net, { type AddressInfo } from 'node:net';

/** What an echo app answers: who it is and what it received. */
export interface EchoReply {
  readonly service: string;
  readonly version: string;
  readonly method: string;
  readonly path: string;
  readonly headers: Readonly<Record<string, string | string[] | undefined>>;
  readonly httpVersion: string;
}

export interface EchoApp {
  readonly port: number;
  /** Requests received so far. */
  readonly received: () => number;
  /** From now on, answer this status (e.g. 503 to make the endpoint fail); undefined: back to 200. */
  failWith(status: number | undefined): void;
  /** From now on, wait this long before answering. */
  delay(ms: number): void;
  close(): Promise<void>;
}

/**
 * A tiny app behind a proxy in end-to-end tests: answers every request with an EchoReply as
 * JSON, over HTTP/1.1 and h2c (prior knowledge) on one port.
 */
export async function startEchoApp(service: string, version: string): Promise<EchoApp> {
  let count = 0;
  let status: number | undefined;
  let delayMs = 0;
  const handler = (req: IncomingMessage | http2.Http2ServerRequest, res: ServerResponse | http2.Http2ServerResponse): void => {
    count += 1;
    const answer = (): void => {
      const body: EchoReply = { service, version, method: req.method ?? '', path: req.url ?? '', headers: req.headers as EchoReply['headers'], httpVersion: req.httpVersion };
      (res as ServerResponse).writeHead(status ?? 200, { 'content-type': 'application/json', 'x-echo-service': `${service}-${version}` });
      res.end(JSON.stringify(body));
    };
    req.resume();
    req.on('end', () => (delayMs > 0 ? setTimeout(answer, delayMs) : answer()));
  };
  const h1 = http.createServer(handler as (req: IncomingMessage, res: ServerResponse) => void);
  const h2 = http2.createServer(handler as (req: http2.Http2ServerRequest, res: http2.Http2ServerResponse) => void);
  const server = net.createServer((socket) => {
    socket.once('data', (chunk) => {
      socket.pause();
      socket.unshift(chunk);
      (chunk.toString('latin1').startsWith('PRI * HTTP/2.0') ? h2 : h1).emit('connection', socket);
      socket.resume();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    received: () => count,
    failWith: (s) => (status = s),
    delay: (ms) => (delayMs = ms),
    close: () =>
      new Promise<void>((resolve) => {
        h1.closeAllConnections();
        h2.close();
        server.close(() => resolve());
        setTimeout(resolve, 500).unref();
      }),
  };
}
