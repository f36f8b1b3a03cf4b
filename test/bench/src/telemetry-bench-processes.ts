/*
 * The baseline process of the telemetry bench: `node telemetry-bench-processes.js raw-subscriber
 * NATS_URL PORT` subscribes to every report in the telemetry queue group and only counts them
 * (and their bytes): the NATS client's own cost of receiving the same stream. Like a telemetry
 * replica it answers on the top subject, once it has taken every report sent before the
 * question (one connection delivers in order): the bench's "caught up" signal for both. GET /count
 * on PORT answers the count.
 */
import http from 'node:http';
import { QueueGroups, Subjects, connectBus } from '@jetmesh/bus';
import { createLogger } from '@jetmesh/log';

const [role, ...args] = process.argv.slice(2);

if (role === 'raw-subscriber') {
  const [url, port] = [String(args[0]), Number(args[1])];
  const bus = await connectBus(url, createLogger('raw-subscriber', 'warn'), { name: 'bench raw subscriber' });
  let count = 0;
  let bytes = 0;
  bus.nc.subscribe(Subjects.telemetryAll, {
    queue: QueueGroups.telemetry,
    callback: (_err, msg) => {
      count += 1;
      bytes += msg.data.length;
    },
  });
  bus.nc.subscribe(Subjects.telemetryTop, { callback: (_err, msg) => void msg.respond(JSON.stringify({ count })) });
  await bus.nc.flush();
  http.createServer((_req, res) => res.end(JSON.stringify({ count, bytes }))).listen(port, '127.0.0.1', () => process.stdout.write('ready\n'));
} else {
  console.error(`unknown role ${role}`);
  process.exit(2);
}
