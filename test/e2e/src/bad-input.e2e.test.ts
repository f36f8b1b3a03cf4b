import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { type Bus, Streams, connectBus, streamLastSequence } from '@jetmesh/bus';
import { createLogger } from '@jetmesh/log';
import { type MeshProcesses, cliEntry, runProcess, startMeshProcesses } from '@jetmesh/testing';

const vs = (spec: string) => `apiVersion: networking.istio.io/v1beta1
kind: VirtualService
metadata: {name: reviews-route}
spec:
${spec}`;

/** Each case: the manifest, and a line the user must see on stderr. */
const cases: ReadonlyArray<{ name: string; yaml: string; expect: RegExp }> = [
  { name: 'malformed YAML', yaml: 'kind: VirtualService\nspec: {hosts: [a\n', expect: /document 1.*(line \d+|YAML)/i },
  { name: 'unknown kind', yaml: 'apiVersion: networking.istio.io/v1\nkind: VirtualRouter\nmetadata: {name: x}\nspec: {}\n', expect: /kind: unknown kind "VirtualRouter"/ },
  { name: 'a delegate (no spec.hosts) naming a gateway', yaml: vs('  gateways: [edge]\n  http: [{route: [{destination: {host: reviews}}]}]\n'), expect: /spec\.gateways: must not be set: a VirtualService without hosts is a delegate/ },
  {
    name: 'negative weight',
    yaml: vs('  hosts: [reviews]\n  http:\n  - route:\n    - {destination: {host: reviews, subset: v1}, weight: 90}\n    - {destination: {host: reviews, subset: v2}, weight: -10}\n'),
    expect: /spec\.http\[0\]\.route\[1\]\.weight: must be >= 0/,
  },
  {
    name: 'subset labels not a label map',
    yaml: 'apiVersion: networking.istio.io/v1beta1\nkind: DestinationRule\nmetadata: {name: reviews}\nspec:\n  host: reviews\n  subsets:\n  - {name: v1, labels: [version, v1]}\n',
    expect: /spec\.subsets\[0\]\.labels: must be a map of strings/,
  },
  {
    name: 'a 2 MiB document',
    yaml: vs(`  hosts: [reviews]\n  http: [{route: [{destination: {host: reviews}}]}]\n  exportTo: ["${'x'.repeat(2 * 1024 * 1024)}"]\n`),
    expect: /document 1.*bytes.*(max|limit)/i,
  },
];

describe('apply.errors: rejected input (CLI → galley)', () => {
  let mesh: MeshProcesses;
  let bus: Bus;
  before(async () => {
    mesh = await startMeshProcesses({ services: ['galley'] });
    bus = await connectBus(mesh.nats.url, createLogger('e2e', 'silent'));
  });
  after(async () => {
    await bus?.close();
    await mesh?.stop();
  });

  for (const c of cases) {
    it(`${c.name}: exit 1, the path named, nothing recorded`, async () => {
      const before = await streamLastSequence(bus, Streams.config);
      const r = await mesh.cli(['apply', '-f', '-'], c.yaml);
      assert.equal(r.code, 1, `stdout: ${r.stdout}\nstderr: ${r.stderr}`);
      assert.match(r.stderr, c.expect);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.equal(await streamLastSequence(bus, Streams.config), before);
    });
  }

  it('a bad document anywhere rejects the whole apply', async () => {
    const good = vs('  hosts: [ratings]\n  http: [{route: [{destination: {host: ratings}}]}]\n');
    const bad = vs('  hosts: [reviews]\n  http: [{route: [{destination: {host: reviews}, weight: -1}]}]\n').replace('reviews-route', 'other');
    const before = await streamLastSequence(bus, Streams.config);
    const r = await mesh.cli(['apply', '-f', '-'], `${good}---\n${bad}`);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /document 2.*spec\.http\[0\]\.route\[0\]\.weight: must be >= 0/);
    assert.equal(await streamLastSequence(bus, Streams.config), before);
  });

  it('usage errors exit 2', async () => {
    const r = await mesh.cli(['get']);
    assert.equal(r.code, 2);
    const bogus = await mesh.cli(['routes', 'reviews', '-o', 'xml']);
    assert.equal(bogus.code, 2);
  });

  it('an unreachable galley exits 3 with a one-line cause', async () => {
    const env = { ...mesh.env, JETMESH_GALLEY_ADDRESS: '127.0.0.1:1' };
    const down = await runProcess(process.execPath, [cliEntry, 'get', 'vs'], { env });
    assert.equal(down.code, 3, down.stderr);
    assert.match(down.stderr, /cannot reach galley at 127\.0\.0\.1:1/);
    assert.equal(down.stderr.trim().split('\n').length, 1);
  });
});
