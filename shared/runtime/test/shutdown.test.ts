import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runScript, runtimeEntry } from './child-script.js';

const logEntry = import.meta.resolve('@jetmesh/log');

function service(steps: string): string {
  return `
import { onShutdown } from '${runtimeEntry}';
import { createLogger } from '${logEntry}';
const log = createLogger('svc', 'info');
${steps}
setInterval(() => {}, 1000);
console.log('{"msg":"started"}');
`;
}

function messages(stdout: string): string[] {
  return stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => (JSON.parse(l) as { msg: string }).msg);
}

/** Sends `signal` once the service logged "started", and again 100 ms later if `times` is 2. */
function killOnStart(signal: NodeJS.Signals, times: 1 | 2 = 1) {
  let sent = false;
  return (text: string, pid: number) => {
    if (sent || !text.includes('"started"')) return;
    sent = true;
    process.kill(pid, signal);
    if (times === 2) setTimeout(() => process.kill(pid, signal), 100).unref();
  };
}

test('shutdown.happy: SIGTERM runs the steps in order and exits 0', async () => {
  const run = await runScript(
    service(`onShutdown(log, () => { log.info('first'); }, async () => { await new Promise((r) => setTimeout(r, 50)); log.info('second'); });`),
    {},
    killOnStart('SIGTERM'),
  );
  assert.equal(run.code, 0);
  assert.deepEqual(messages(run.stdout), ['started', 'shutting down', 'first', 'second', 'stopped']);
});

test('shutdown.errors: a failing step is logged, later steps still run, exit 1', async () => {
  const run = await runScript(
    service(`onShutdown(log, function closeXds() { throw new Error('boom'); }, () => { log.info('drained'); });`),
    {},
    killOnStart('SIGINT'),
  );
  assert.equal(run.code, 1);
  assert.deepEqual(messages(run.stdout), ['started', 'shutting down', 'shutdown step failed', 'drained', 'stopped']);
  assert.match(run.stdout, /"step":"closeXds"/);
});

test('shutdown.signal: a second signal exits at once', async () => {
  const run = await runScript(
    service(`onShutdown(log, () => new Promise(() => {}));`),
    {},
    killOnStart('SIGTERM', 2),
  );
  assert.equal(run.code, 1);
  assert.deepEqual(messages(run.stdout), ['started', 'shutting down', 'second signal, exiting now']);
});

test('shutdown.bug: an unhandled rejection is logged as fatal and exits 1', async () => {
  const run = await runScript(service(`onShutdown(log); setTimeout(() => Promise.reject(new Error('lost nats')), 10);`));
  assert.equal(run.code, 1);
  assert.match(run.stdout, /"level":"fatal".*unhandled promise rejection/);
  assert.match(run.stdout, /lost nats/);
});

test('shutdown.bounded: a step with its own timeout is cut at it, later steps still run, exit 1', async () => {
  const run = await runScript(
    service(`onShutdown(log, { run: function drainProxy() { return new Promise(() => {}); }, timeoutMs: 300 }, () => { log.info('drained'); });`),
    {},
    killOnStart('SIGTERM'),
  );
  assert.equal(run.code, 1);
  assert.deepEqual(messages(run.stdout), ['started', 'shutting down', 'shutdown step failed', 'drained', 'stopped']);
  assert.match(run.stdout, /did not finish within 300 ms.*"step":"drainProxy"/);
});
