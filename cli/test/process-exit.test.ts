import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { cliEntry } from '@jetmesh/testing';

test('process.epipe: a reader that goes away (jetmesh … | head) ends the CLI quietly with 0', async () => {
  for (let i = 0; i < 3; i++) {
    const child = spawn(process.execPath, [cliEntry, '--help'], { stdio: ['ignore', 'pipe', 'pipe'] });
    // Closed before the CLI writes anything: its first write meets a pipe with no reader.
    child.stdout.destroy();
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
    assert.deepEqual([code, stderr], [0, '']);
  }
});
