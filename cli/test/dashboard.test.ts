import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { runCli } from '../src/program.js';

const collect = () => {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (c: Buffer) => (text += c.toString()));
  return { stream, text: () => text };
};

describe('jetmesh dashboard (a stand-in console admin port, a context file as `up` writes it)', () => {
  let admin: Server;
  let dir: string;
  const consoleUrl = 'http://127.0.0.1:15123';
  const run = async (args: string[], env: Record<string, string> = {}) => {
    const stdout = collect();
    const stderr = collect();
    const code = await runCli(['dashboard', ...args], { stdout: stdout.stream, stderr: stderr.stream, stdin: new PassThrough(), env: { PATH: join(dir, 'empty-bin'), ...env }, cwd: dir });
    return { code, stdout: stdout.text(), stderr: stderr.text() };
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jetmesh-dashboard-'));
    mkdirSync(join(dir, 'empty-bin'));
    admin = createServer((req, res) => {
      res.writeHead(req.url === '/console-url' ? 200 : 404, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ url: consoleUrl }));
    });
    await new Promise<void>((r) => admin.listen(0, '127.0.0.1', r));
    const port = (admin.address() as AddressInfo).port;
    mkdirSync(join(dir, '.jetmesh'));
    writeFileSync(join(dir, '.jetmesh', 'context.json'), JSON.stringify({ supervisorPid: process.pid, services: { console: { pid: 1, adminUrl: `http://127.0.0.1:${port}` } } }));
  });
  after(() => new Promise<void>((r) => admin.close(() => r())));

  it('dashboard.url: prints the URL the running console reports, and says so when there is no xdg-open', async () => {
    const r = await run([]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout, `${consoleUrl}/\n`);
    assert.match(r.stderr, /no xdg-open here/);
  });

  it("dashboard.with-token: the CLI's token goes in the fragment; without a token it is a usage error", async () => {
    const r = await run(['--with-token', '--no-open'], { JETMESH_TOKEN: 'a.b+c' });
    assert.equal(r.stdout, `${consoleUrl}/#token=a.b%2Bc\n`);
    const none = await run(['--with-token', '--no-open']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no config token/);
  });

  it('dashboard.open: runs xdg-open with the URL when it is on PATH', async () => {
    const bin = join(dir, 'bin');
    mkdirSync(bin, { recursive: true });
    const opened = join(dir, 'opened');
    writeFileSync(join(bin, 'xdg-open'), `#!/bin/sh\nprintf '%s' "$1" > ${JSON.stringify(opened)}\n`);
    chmodSync(join(bin, 'xdg-open'), 0o755);
    const r = await run([], { PATH: `${bin}:/usr/bin:/bin` });
    assert.equal(r.code, 0, r.stderr);
    for (let i = 0; i < 100 && !existsSync(opened); i++) await sleep(50);
    assert.equal(readFileSync(opened, 'utf8'), `${consoleUrl}/`);
  });
});
