import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { childLogger, createLogger } from '../src/index.js';

function captured(): { stream: Writable; lines: () => Array<Record<string, unknown>> } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter((l) => l !== '')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { stream, lines };
}

test('logger.labels: each line carries component, level name and ISO time', () => {
  const out = captured();
  const log = createLogger('galley', 'debug', out.stream);
  log.debug({ seq: 7 }, 'applied');
  const [line] = out.lines();
  assert.equal(line?.component, 'galley');
  assert.equal(line?.level, 'debug');
  assert.equal(line?.msg, 'applied');
  assert.equal(line?.seq, 7);
  assert.match(String(line?.time), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
});

test('logger.level: lines below the level are dropped', () => {
  const out = captured();
  const log = createLogger('pilot', 'warn', out.stream);
  log.info('hidden');
  log.warn('shown');
  assert.deepEqual(out.lines().map((l) => l.msg), ['shown']);
});

test('logger.level: JETMESH_LOG_LEVEL is used when no level is given', () => {
  const before = process.env.JETMESH_LOG_LEVEL;
  process.env.JETMESH_LOG_LEVEL = 'error';
  try {
    const out = captured();
    createLogger('citadel', undefined, out.stream).warn('hidden');
    assert.equal(out.lines().length, 0);
  } finally {
    if (before === undefined) delete process.env.JETMESH_LOG_LEVEL;
    else process.env.JETMESH_LOG_LEVEL = before;
  }
});

test('logger.level: an unknown level is refused by name', () => {
  assert.throws(() => createLogger('x', 'loud'), { name: 'RangeError', message: /^log level "loud": must be one of / });
});

test('logger.child: labels are added to every line, component kept', () => {
  const out = captured();
  const log = childLogger(createLogger('pilot', 'info', out.stream), { stream: 'MESH_CONFIG', replica: 2 });
  log.info('caught up');
  const [line] = out.lines();
  assert.equal(line?.component, 'pilot');
  assert.equal(line?.stream, 'MESH_CONFIG');
  assert.equal(line?.replica, 2);
});

test('logger.errors: JETMESH_LOG_LEVEL=loud is refused naming the variable and the levels', () => {
  const before = process.env.JETMESH_LOG_LEVEL;
  process.env.JETMESH_LOG_LEVEL = 'loud';
  try {
    assert.throws(() => createLogger('galley'), { message: 'JETMESH_LOG_LEVEL="loud": must be one of fatal, error, warn, info, debug, trace, silent' });
  } finally {
    if (before === undefined) delete process.env.JETMESH_LOG_LEVEL;
    else process.env.JETMESH_LOG_LEVEL = before;
  }
});
