import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { createConfigClient } from '@jetmesh/rpc';
import { freePort, launchProcess, repoRoot, runProcess, startNatsServer, waitForHttp, type NatsServerHandle } from '@jetmesh/testing';
import { bookinfoYaml } from './galley-harness.js';

const mainJs = join(repoRoot, 'services', 'galley', 'dist', 'src', 'main.js');

describe('galley.process', () => {
  let nats: NatsServerHandle;
  before(async () => {
    nats = await startNatsServer();
  });
  after(() => nats.dispose());

  test('galley.process: starts from its environment, serves the API and admin endpoints, stops on SIGTERM', async () => {
    const [port, adminPort] = [await freePort(), await freePort()];
    const galley = launchProcess(process.execPath, [mainJs], {
      name: 'galley',
      env: { JETMESH_NATS_URL: nats.url, JETMESH_GALLEY_PORT: String(port), JETMESH_GALLEY_AUTH: 'disabled', JETMESH_ADMIN_PORT: String(adminPort), JETMESH_LOG_LEVEL: 'info' },
    });
    try {
      await galley.waitForOutput(new RegExp(`"address":"127.0.0.1:${port}".*galley config API listening`));
      await waitForHttp(`http://127.0.0.1:${adminPort}/readyz`);
      const client = createConfigClient(`127.0.0.1:${port}`, { actor: 'process-test' });
      try {
        const res = await client.apply({ yaml: bookinfoYaml() });
        assert.equal(res.sequence, 1);
      } finally {
        client.close();
      }
      const metrics = await (await fetch(`http://127.0.0.1:${adminPort}/metrics`)).text();
      assert.match(metrics, /galley_applies_total\{result="accepted",service="galley"\} 1/);
      assert.match(metrics, /galley_publish_duration_seconds_count\{service="galley"\} 1/);
      assert.equal(await galley.stop('SIGTERM'), 0);
    } finally {
      await galley.stop('SIGKILL');
    }
  });

  test('galley.process: a bad variable stops it at start, naming the variable', async () => {
    const result = await runProcess(process.execPath, [mainJs], { env: { JETMESH_NATS_URL: nats.url, JETMESH_GALLEY_PORT: 'http' } });
    assert.equal(result.code, 2);
    assert.match(result.stderr, /JETMESH_GALLEY_PORT="http": must be an integer between 0 and 65535/);
  });
});
