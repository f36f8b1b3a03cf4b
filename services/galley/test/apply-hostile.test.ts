import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { credentials, status, Client } from '@grpc/grpc-js';
import { createConfigClient, errorLinesOf, maxErrorDetailsEncoded, type ConfigClient } from '@jetmesh/rpc';
import { failureOf, startGalleyHarness, type GalleyHarness } from './galley-harness.js';

/*
 * Hostile input: each request gets its answer (a clear refusal or a result), nothing hangs or
 * kills galley. The client here waits at most 10 s, half the CLI's deadline, so a request that
 * galley takes too long over fails the test as DEADLINE_EXCEEDED. Measured on 2 cores: every
 * case below answers in 2-200 ms (before: deep nesting crashed galley out of memory, 10k hosts
 * took 5.8 s, an echoed 1 MiB kind or 10k error lines reset the stream at the trailer).
 */

const vsWithHosts = (n: number, domain = 'example.com'): string =>
  `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: many}\nspec:\n  hosts:\n${Array.from({ length: n }, (_, i) => `  - h${i}.${domain}\n`).join('')}  http:\n  - route:\n    - destination: {host: reviews}\n`;

const weWithLabels = (n: number): string =>
  `apiVersion: networking.istio.io/v1\nkind: WorkloadEntry\nmetadata: {name: labelled}\nspec:\n  address: 10.0.0.1\n  labels:\n${Array.from({ length: n }, (_, i) => `    l${i}: v${i}\n`).join('')}`;

const vsWithHeaderOps = (n: number): string =>
  `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: headers}\nspec:\n  hosts: [reviews]\n  http:\n  - headers:\n      request:\n        set:\n${Array.from({ length: n }, (_, i) => `          x-h${i}: v\n`).join('')}    route:\n    - destination: {host: reviews}\n`;

const galleyAddress = (h: GalleyHarness): string => h.galleys[0]?.address ?? '';

const nestingRefusal = /^document 1 \(line 1\): nests deeper than 64 levels/;

describe('apply.hostile', () => {
  let h: GalleyHarness;
  let client: ConfigClient;
  before(async () => {
    h = await startGalleyHarness();
    client = createConfigClient(galleyAddress(h), { actor: 'hostile@test', deadlineMs: 10_000 });
  });
  after(() => h.dispose());

  const refusedNesting: Array<[string, string]> = [
    ['100k unclosed [', `a: ${'['.repeat(100_000)}`],
    ['100k nested flow sequences', `a: ${'['.repeat(100_000)}${']'.repeat(100_000)}`],
    ['50k nested flow maps', `a: ${'{b: '.repeat(50_000)}1${'}'.repeat(50_000)}`],
    ['100k compact nested block sequences', `${'- '.repeat(100_000)}x`],
  ];
  for (const [name, yaml] of refusedNesting) {
    test(`apply.hostile: ${name} is refused before parsing, naming the depth`, async () => {
      const failure = await failureOf(client.apply({ yaml, dryRun: true }));
      assert.equal(failure.code, status.INVALID_ARGUMENT);
      assert.equal(failure.lines.length, 1, failure.lines.join('\n'));
      assert.match(failure.lines[0] ?? '', nestingRefusal);
    });
  }

  test('apply.hostile: a VirtualService with 10k hosts and 10k header operations are validated in full', async () => {
    for (const yaml of [vsWithHosts(10_000), vsWithHeaderOps(10_000)]) {
      const answer = await client.apply({ yaml, dryRun: true });
      assert.equal(answer.changes.length, 1);
    }
  });

  test('apply.hostile: a WorkloadEntry with 10k labels is refused at Istio’s CRD bound (256), naming it', async () => {
    const failure = await failureOf(client.apply({ yaml: weWithLabels(10_000), dryRun: true }));
    assert.equal(failure.code, status.INVALID_ARGUMENT);
    assert.deepEqual(failure.lines.map((l) => l.replace(/^document 1 \([^)]*\): /, '')), ['spec.labels: must have at most 256 entries (it has 10000)']);
  });

  test('apply.hostile: 10k invalid hosts come back as a bounded list that counts the rest', async () => {
    const failure = await failureOf(client.apply({ yaml: vsWithHosts(10_000, '..bad'), dryRun: true }));
    assert.equal(failure.code, status.INVALID_ARGUMENT);
    assert.match(failure.lines[0] ?? '', /spec\.hosts\[0\]/);
    assert.match(failure.lines.at(-1) ?? '', /^… and \d+ more errors$/);
    assert.ok(encodeURI(failure.lines.join('\n')).length <= maxErrorDetailsEncoded + 40);
  });

  test('apply.hostile: a 1 MiB kind name in List is refused with the kind cut short', async () => {
    const failure = await failureOf(client.list({ kind: 'K'.repeat(1 << 20) }));
    assert.equal(failure.code, status.INVALID_ARGUMENT);
    assert.match(failure.lines[0] ?? '', /^kind: unknown kind "K+… \(\d+ more characters\)$/);
  });

  test('apply.hostile: bytes that are no ApplyRequest are INVALID_ARGUMENT naming the method (the caller’s input, not a server fault); bytes that happen to decode are refused as the request they decode to; galley answers the next call', async () => {
    const raw = new Client(galleyAddress(h), credentials.createInsecure());
    const send = (bytes: Buffer) =>
      new Promise<{ code: number; details: string }>((resolve) => {
        raw.makeUnaryRequest(
          '/jetmesh.config.v1.ConfigService/Apply',
          (b: Buffer) => b,
          (b: Buffer) => b,
          bytes,
          { deadline: Date.now() + 10_000 },
          (err) => resolve({ code: err?.code ?? status.OK, details: err?.details ?? '' }),
        );
      });
    // Wire type 7 at offset 10, which protobuf does not have: the decoder throws (grpc-js alone answered INTERNAL).
    const undecodable = Buffer.from('db72d0d8eeb5440fcf785e5878e920d17a2467f7a871350355074b87e026f86768815df58508923500ce4cd31f7d0cc2900423e38b788787212b97ecae8d19a3', 'hex');
    const refused = await send(undecodable);
    assert.equal(refused.code, status.INVALID_ARGUMENT);
    assert.match(refused.details, /\/jetmesh\.config\.v1\.ConfigService\/Apply request does not decode: invalid wire type 7/);
    const decodesAsGarbage = await send(Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256)));
    assert.equal(decodesAsGarbage.code, status.INVALID_ARGUMENT);
    raw.close();
    const answer = await client.list({ kind: 'VirtualService' });
    assert.ok(answer.sequence >= 0);
  });

  test('apply.hostile: galley still validates a YAML duplicate key after parsing without the quadratic check', async () => {
    const failure = await failureOf(client.apply({ yaml: 'apiVersion: networking.istio.io/v1\nkind: VirtualService\nkind: VirtualService\nmetadata: {name: d}\nspec: {hosts: [a]}\n', dryRun: true }));
    assert.equal(failure.code, status.INVALID_ARGUMENT);
    assert.ok(errorLinesOf({ details: failure.lines.join('\n') }).some((l) => /Map keys must be unique/.test(l)), failure.lines.join('\n'));
  });
});
