import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runScript, runtimeEntry } from './child-script.js';

const script = `
import { parseEnv, envVar, port, logLevel } from '${runtimeEntry}';
const env = parseEnv({ adminPort: envVar('JETMESH_ADMIN_PORT', port, 0), level: envVar('JETMESH_LOG_LEVEL', logLevel, 'info') });
console.log(JSON.stringify(env));
`;

test('parseEnv.errors: bad variables print one line each and exit 2', async () => {
  const run = await runScript(script, { JETMESH_ADMIN_PORT: 'abc', JETMESH_LOG_LEVEL: 'loud' });
  assert.equal(run.code, 2);
  assert.equal(run.stdout, '');
  assert.deepEqual(run.stderr.trim().split('\n'), [
    'invalid environment: JETMESH_ADMIN_PORT="abc": must be an integer between 0 and 65535',
    'invalid environment: JETMESH_LOG_LEVEL="loud": must be one of fatal, error, warn, info, debug, trace, silent',
  ]);
});

test('parseEnv.happy: a good environment gives the typed config', async () => {
  const run = await runScript(script, { JETMESH_ADMIN_PORT: '9100', JETMESH_LOG_LEVEL: '' });
  assert.equal(run.code, 0);
  assert.deepEqual(JSON.parse(run.stdout), { adminPort: 9100, level: 'info' });
});
