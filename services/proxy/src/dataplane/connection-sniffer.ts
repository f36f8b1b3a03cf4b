import type { Socket } from 'node:net';

/** What the first bytes of a connection say it speaks. */
export type WireProtocol = 'tls' | 'h2c' | 'http1';

const TLS_HANDSHAKE_RECORD = 0x16;
const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');

/** Classifies a prefix of a connection's bytes; undefined while too few bytes have arrived to tell. */
export function classifyPrefix(prefix: Buffer): WireProtocol | undefined {
  if (prefix.length === 0) return undefined;
  if (prefix[0] === TLS_HANDSHAKE_RECORD) return 'tls';
  const n = Math.min(prefix.length, H2_PREFACE.length);
  if (prefix.subarray(0, n).equals(H2_PREFACE.subarray(0, n))) return n === H2_PREFACE.length ? 'h2c' : undefined;
  return 'http1';
}

/**
 * Reads the first bytes of `socket` until they tell its protocol, then puts them back
 * (unshift), so whichever server takes the socket next sees the whole stream. A peer that
 * sends nothing within `timeoutMs` is dropped (a slowloris cannot hold a socket here).
 */
export function sniffConnection(socket: Socket, timeoutMs: number): Promise<WireProtocol | undefined> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    const done = (result: WireProtocol | undefined): void => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
      socket.off('error', onClose);
      if (result !== undefined) {
        socket.pause();
        socket.unshift(Buffer.concat(chunks));
      }
      resolve(result);
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      const result = classifyPrefix(Buffer.concat(chunks));
      if (result !== undefined) done(result);
    };
    const onClose = (): void => done(undefined);
    const timer = setTimeout(() => {
      done(undefined);
      socket.destroy();
    }, timeoutMs);
    socket.on('data', onData);
    socket.once('close', onClose);
    socket.once('error', onClose);
  });
}
