import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { freePort, launchProcess, repoRoot, runProcess, waitForHttp } from '../src/index.js';

describe('process-launcher', () => {
  test('repoRoot is the monorepo root', () => {
    assert.ok(existsSync(join(repoRoot, 'shared', 'testing', 'package.json')));
    assert.ok(existsSync(join(repoRoot, 'package.json')));
  });

  test('runProcess returns exit code, stdout, stderr and feeds stdin', async () => {
    const script = 'process.stdin.pipe(process.stdout); console.error("to stderr"); process.exitCode = 3;';
    const result = await runProcess(process.execPath, ['-e', script], { input: 'hello' });
    assert.deepEqual(result, { code: 3, stdout: 'hello', stderr: 'to stderr\n' });
  });

  test('runProcess rejects when the command outlives its timeout', async () => {
    await assert.rejects(
      runProcess(process.execPath, ['-e', 'setTimeout(() => {}, 10000)'], { timeoutMs: 200 }),
      /did not finish within 200 ms/,
    );
  });

  test('launchProcess: waitForOutput sees output, env reaches the child, stop returns the exit code', async () => {
    const script = 'process.on("SIGTERM", () => process.exit(7)); console.log("ready " + process.env.GREETING); setInterval(() => {}, 1000);';
    const child = launchProcess(process.execPath, ['-e', script], { name: 'greeter', env: { GREETING: 'hi' } });
    const match = await child.waitForOutput(/ready (\w+)/);
    assert.equal(match[1], 'hi');
    assert.equal(await child.stop(), 7);
    assert.match(child.output(), /ready hi/);
  });

  test('launchProcess: stop escalates to SIGKILL when the child ignores SIGTERM', async () => {
    const script = 'process.on("SIGTERM", () => {}); console.log("up"); setInterval(() => {}, 1000);';
    const child = launchProcess(process.execPath, ['-e', script], { name: 'stubborn' });
    await child.waitForOutput(/up/);
    assert.equal(await child.stop('SIGTERM', 300), null);
  });

  test('launchProcess: waitForOutput rejects with the output when the child exits first', async () => {
    const child = launchProcess(process.execPath, ['-e', 'console.log("bye"); process.exit(2)'], { name: 'quitter' });
    await assert.rejects(child.waitForOutput(/never/), /quitter exited \(code 2\).*\n.*bye/s);
    assert.equal(await child.exited, 2);
  });

  test('waitForHttp waits until the wanted status', async () => {
    const port = await freePort();
    let calls = 0;
    const server = createServer((_req, res) => {
      calls += 1;
      res.statusCode = calls < 3 ? 503 : 200;
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
    try {
      await waitForHttp(`http://127.0.0.1:${port}/readyz`, { timeoutMs: 5_000 });
      assert.equal(calls, 3);
      await assert.rejects(
        waitForHttp(`http://127.0.0.1:${port}/readyz`, { timeoutMs: 300, status: 204 }),
        /did not answer 204 within 300 ms \(last: 200\)/,
      );
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });
});
