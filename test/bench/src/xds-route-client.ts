import * as grpc from '@grpc/grpc-js';
import { register } from '@grpc/grpc-js-xds';
import { routeProbeService, type RouteProbeReply } from './route-probe-service.js';

/*
 * The grpc-js-xds data plane of the xds-route bench, as a child process (its bootstrap is read from
 * GRPC_XDS_BOOTSTRAP_CONFIG). It calls TARGET back to back and tells the parent over IPC every time
 * the answering backend changes: { outcome, start, end } in epoch ms (performance.timeOrigin based).
 */

register();

type ProbeClient = grpc.Client & {
  Get(req: object, md: grpc.Metadata, opts: grpc.CallOptions, cb: (err: grpc.ServiceError | null, reply?: RouteProbeReply) => void): void;
};
const Client = grpc.makeGenericClientConstructor(routeProbeService, 'RouteProbe');
const client = new Client(process.env.TARGET ?? '', grpc.credentials.createInsecure()) as unknown as ProbeClient;
const now = (): number => performance.timeOrigin + performance.now();

let last = '';
let stopped = false;
process.on('disconnect', () => {
  stopped = true;
  client.close();
});

const loop = async (): Promise<void> => {
  while (!stopped) {
    const start = now();
    const outcome = await new Promise<string>((resolve) =>
      client.Get({}, new grpc.Metadata(), { deadline: Date.now() + 5_000 }, (err, reply) => resolve(err !== null ? `error:${err.code}` : (reply?.version ?? 'none'))),
    );
    if (outcome !== last) {
      last = outcome;
      process.send?.({ outcome, start, end: now() });
    }
    if (outcome.startsWith('error')) await new Promise((r) => setTimeout(r, 5));
  }
};
void loop();
