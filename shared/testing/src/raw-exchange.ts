import net from 'node:net';

/** Writes raw bytes to a port and collects what comes back until the server closes (or `waitMs`). */
export const rawExchange = (port: number, bytes: string, waitMs = 3_000): Promise<string> =>
  new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    let out = '';
    socket.on('data', (d) => (out += d.toString('latin1')));
    socket.on('error', () => undefined);
    socket.on('close', () => resolve(out));
    socket.write(bytes);
    setTimeout(() => socket.destroy(), waitMs).unref();
  });
