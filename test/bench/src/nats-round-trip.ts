import { performance } from 'node:perf_hooks';
import { connectBus } from '@jetmesh/bus';
import { createLogger } from '@jetmesh/log';

/** Raw NATS publish → subscribe round trips on one server, in ms: the floor for any convergence figure. */
export const natsRoundTrip = async (url: string, samples: number, subject = 'bench.rtt'): Promise<number[]> => {
  const bus = await connectBus(url, createLogger('bench', 'silent'));
  const out: number[] = [];
  const sub = bus.nc.subscribe(subject);
  const iter = sub[Symbol.asyncIterator]();
  for (let i = 0; i < samples; i++) {
    const t0 = performance.now();
    bus.nc.publish(subject, String(i));
    await iter.next();
    out.push(performance.now() - t0);
  }
  sub.unsubscribe();
  await bus.close();
  return out;
};
