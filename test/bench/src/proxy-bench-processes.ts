/*
 * The processes the proxy bench measures against, each run as its own `node` process so no two
 * share an event loop: `node proxy-bench-processes.js app PORT` (answers every request with a
 * 1 KiB body), `… http-proxy PORT TARGET_PORT` (the http-proxy npm package in front of it), and
 * `… load PORT HOST RATE CONNECTIONS SECONDS` (an open-loop constant-rate client; prints JSON), and
 * `… idle` (a bare node process, for RSS).
 */
import http from 'node:http';
import httpProxy from 'http-proxy';

const [role, ...args] = process.argv.slice(2);
const BODY = Buffer.alloc(1024, 'x');

if (role === 'app') {
  http
    .createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': BODY.length });
        res.end(BODY);
      });
    })
    .listen(Number(args[0]), '127.0.0.1', () => process.stdout.write('ready\n'));
} else if (role === 'http-proxy') {
  const target = `http://127.0.0.1:${args[1]}`;
  const proxy = httpProxy.createProxyServer({ target, agent: new http.Agent({ keepAlive: true, maxSockets: 256 }) });
  proxy.on('error', (_err, _req, res) => {
    (res as http.ServerResponse).writeHead?.(502);
    res.end();
  });
  http.createServer((req, res) => proxy.web(req, res)).listen(Number(args[0]), '127.0.0.1', () => process.stdout.write('ready\n'));
} else if (role === 'load') {
  const [port, host, rate, connections, seconds] = [Number(args[0]), String(args[1]), Number(args[2]), Number(args[3]), Number(args[4])];
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  let errors = 0;
  let sent = 0;
  const intervalMs = 1000 / rate;
  const started = performance.now();
  const total = Math.round(rate * seconds);
  // Open loop: request i is due at started + i × interval whether or not earlier ones answered,
  // and its latency counts from when it was due (no coordinated omission).
  const fire = (due: number): void => {
    sent += 1;
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/bench', headers: { host, 'content-type': 'application/octet-stream', 'content-length': BODY.length }, agent }, (res) => {
      res.resume();
      res.on('end', () => {
        if (res.statusCode === 200) latencies.push(performance.now() - due);
        else errors += 1;
        done();
      });
    });
    req.on('error', () => {
      errors += 1;
      done();
    });
    req.end(BODY);
  };
  let finished = 0;
  const done = (): void => {
    finished += 1;
    if (finished === total) {
      const cpu = process.cpuUsage();
      process.stdout.write(`${JSON.stringify({ latencies, errors, sent, seconds: (performance.now() - started) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6 })}\n`);
      agent.destroy();
    }
  };
  let next = 0;
  const tick = (): void => {
    const now = performance.now();
    while (next < total && started + next * intervalMs <= now) {
      fire(started + next * intervalMs);
      next += 1;
    }
    if (next < total) setTimeout(tick, Math.max(0, started + next * intervalMs - performance.now()));
  };
  tick();
} else if (role === 'idle') {
  // A bare node process, the floor any Node proxy's RSS starts from.
  setInterval(() => {}, 60_000);
  process.stdout.write('ready\n');
} else {
  process.stderr.write(`unknown role ${role}\n`);
  process.exit(2);
}
