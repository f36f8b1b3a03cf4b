import { createServer, connect as tcpConnect, type Socket } from 'node:net';
import { freePort } from '@jetmesh/testing';
import * as t from 'io-ts';
import { connectBus, type Bus, type BusLogger } from '../src/index.js';

export interface LogEntry {
  readonly level: 'info' | 'warn' | 'error' | 'debug';
  readonly obj: object;
  readonly msg: string | undefined;
}

/** Keeps every log call so a test can assert on what an operator would read. */
export class RecordingLogger implements BusLogger {
  readonly entries: LogEntry[] = [];
  info(obj: object, msg?: string): void {
    this.entries.push({ level: 'info', obj, msg });
  }
  warn(obj: object, msg?: string): void {
    this.entries.push({ level: 'warn', obj, msg });
  }
  error(obj: object, msg?: string): void {
    this.entries.push({ level: 'error', obj, msg });
  }
  debug(obj: object, msg?: string): void {
    this.entries.push({ level: 'debug', obj, msg });
  }
  messages(level: LogEntry['level']): string[] {
    return this.entries.filter((entry) => entry.level === level).map((entry) => entry.msg ?? '');
  }
}

export async function connectTestBus(url: string): Promise<{ bus: Bus; log: RecordingLogger }> {
  const log = new RecordingLogger();
  const bus = await connectBus(url, log, { name: 'bus-test', timeoutMs: 2_000 });
  return { bus, log };
}

let streamCount = 0;

/** A throwaway stream, so each scenario starts from an empty log. */
export async function createTestStream(bus: Bus): Promise<{ stream: string; subject: (token: string) => string }> {
  streamCount += 1;
  const stream = `TEST_${process.pid}_${streamCount}`;
  const prefix = `test${streamCount}`;
  await bus.jsm.streams.add({ name: stream, subjects: [`${prefix}.>`] });
  return { stream, subject: (token) => `${prefix}.${token}` };
}

/** The event type the generic bus is exercised with. */
export const Greeting = t.type({ n: t.number, text: t.string });
export type Greeting = t.TypeOf<typeof Greeting>;

/**
 * A TCP relay in front of nats-server whose link can be cut while the server
 * stays up, so a client misses messages and must catch up on reconnect.
 */
export class CuttableLink {
  private readonly sockets = new Set<Socket>();
  private readonly server = createServer((client) => this.relay(client));
  private cut = false;

  private constructor(
    readonly url: string,
    private readonly targetPort: number,
  ) {}

  static async start(targetPort: number): Promise<CuttableLink> {
    const port = await freePort();
    const link = new CuttableLink(`nats://127.0.0.1:${port}`, targetPort);
    await new Promise<void>((resolve) => link.server.listen(port, '127.0.0.1', resolve));
    return link;
  }

  private relay(client: Socket): void {
    if (this.cut) {
      client.destroy();
      return;
    }
    const upstream = tcpConnect({ host: '127.0.0.1', port: this.targetPort });
    for (const [from, to] of [
      [client, upstream],
      [upstream, client],
    ] as const) {
      this.sockets.add(from);
      from.pipe(to);
      from.on('error', () => to.destroy());
      from.on('close', () => {
        to.destroy();
        this.sockets.delete(from);
      });
    }
  }

  sever(): void {
    this.cut = true;
    for (const socket of this.sockets) socket.destroy();
  }

  restore(): void {
    this.cut = false;
  }

  async close(): Promise<void> {
    this.sever();
    await new Promise((resolve) => this.server.close(resolve));
  }
}
