// A tiny demo app: answers who it is; with UPSTREAM set it first calls that service through its
// sidecar's outbound port (OUTBOUND_PORT), as any app would with HTTP_PROXY, and includes the answer.
import http from 'node:http';

const [service, version, port] = process.argv.slice(2);
const upstream = process.env.UPSTREAM || undefined;
const outbound = Number(process.env.OUTBOUND_PORT);

const callUpstream = (path, headers) =>
  new Promise((resolve) => {
    const req = http.request({ host: '127.0.0.1', port: outbound, path, headers: { host: upstream, ...headers } }, (res) => {
      let body = '';
      res.on('data', (d) => (body += d));
      res.on('end', () => resolve({ status: res.statusCode, flags: res.headers['x-jetmesh-flags'], body: safeJson(body) }));
    });
    req.on('error', (err) => resolve({ error: err.message }));
    req.end();
  });
const safeJson = (text) => {
  try {
    return JSON.parse(text);
  } catch {
    return text.trim();
  }
};

http
  .createServer(async (req, res) => {
    const answer = { service, version, path: req.url, caller: req.headers['x-forwarded-client-cert'] ?? 'plaintext' };
    if (upstream !== undefined) answer.upstream = await callUpstream(req.url, req.headers['end-user'] ? { 'end-user': req.headers['end-user'] } : {});
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(`${JSON.stringify(answer)}\n`);
  })
  .listen(Number(port), '127.0.0.1', () => console.log(`${service} ${version} listening on 127.0.0.1:${port}`));
