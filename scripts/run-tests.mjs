// Runs every package's compiled tests in ONE node --test run, so the summary
// (# pass / # fail) covers the whole repository. Suites start their own nats-server.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const testDirs = ['shared', 'services'].flatMap((group) =>
  readdirSync(join(root, group)).map((pkg) => join(root, group, pkg, 'dist', 'test')),
);
testDirs.push(join(root, 'cli', 'dist', 'test'), join(root, 'test', 'e2e', 'dist', 'src'));

const files = testDirs
  .filter((dir) => existsSync(dir))
  .flatMap((dir) => readdirSync(dir).filter((f) => f.endsWith('.test.js')).map((f) => join(dir, f)));

if (files.length === 0) {
  console.error('no compiled tests found: run npm run build first');
  process.exit(1);
}
const extra = process.argv.slice(2);
const result = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...extra, ...files], { stdio: 'inherit', cwd: root });
process.exit(result.status ?? 1);
