import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { isLeft } from 'fp-ts/lib/Either.js';
import { decodeResource, emptyMeshState, formatInvalid, isResourceKind, type Invalid } from '@jetmesh/model';
import { repoRoot } from '@jetmesh/testing';
import { parseYamlDocuments, planApply } from '../src/index.js';

/*
 * Istio's own public configuration (istio/istio samples, tests, analyzer and CRD validation
 * fixtures; istio/api's reference examples), extracted by scripts/extract-istio-corpus.mjs with
 * the verdict Istio gives each document. Every document goes through what an apply does before
 * publishing: the YAML reader, the codecs, and the change plan against an empty mesh.
 */

interface CorpusDocument {
  readonly source: string;
  readonly kind: string;
  readonly expect: 'accept' | 'refuse';
  /** Why Istio refuses a document found among accepted ones (verdict-overrides.json). */
  readonly why?: string;
  /** The error Istio's CRD fixture expects (`_err`), path first where it names one. */
  readonly istioError?: string;
  /** The warnings Istio's webhook gives it (expected-warnings.json: `path: reason`). */
  readonly warnings?: readonly string[];
  readonly yaml: string;
}

const corpus = JSON.parse(readFileSync(join(repoRoot, 'services/galley/test/fixtures/istio-corpus/documents.json'), 'utf8')) as {
  readonly sources: Record<string, string>;
  readonly documents: readonly CorpusDocument[];
};

/** Every problem an apply of the document alone would answer with. */
const problemsOf = (yaml: string): Invalid[] => applyOf(yaml).problems;

const SCHEMA_WARNING = /^Warning \[IST0133\] \([^)]*\) Schema validation warning: /;

/** What an apply of the document alone answers: its problems, or the webhook warnings it accepts it with (`path: reason`). */
const applyOf = (yaml: string): { problems: Invalid[]; warnings: string[] } => {
  const problems: Invalid[] = [];
  const warnings: string[] = [];
  for (const parsed of parseYamlDocuments(yaml, 1 << 20)) {
    if (isLeft(parsed)) {
      problems.push(...parsed.left);
      continue;
    }
    const decoded = decodeResource(parsed.right.content, 'default');
    if (isLeft(decoded)) problems.push(...decoded.left);
    else {
      const plan = planApply(emptyMeshState, [{ label: 'document 1', document: decoded.right }]);
      if (isLeft(plan)) problems.push(...plan.left);
      else warnings.push(...plan.right.warnings.filter((w) => SCHEMA_WARNING.test(w)).map((w) => w.replace(SCHEMA_WARNING, '')));
    }
  }
  return { problems, warnings };
};

const served = corpus.documents.filter((d) => isResourceKind(d.kind));
const notServed = corpus.documents.filter((d) => !isResourceKind(d.kind));

test('istio.corpus: every document of a served kind gets Istio’s verdict (0 wrong refusals, 0 wrong acceptances)', (t) => {
  const wrong: string[] = [];
  for (const d of served) {
    const problems = problemsOf(d.yaml);
    const got = problems.length === 0 ? 'accept' : 'refuse';
    if (got !== d.expect) wrong.push(`${d.source} (${d.kind}): Istio would ${d.expect}, galley did ${got}${problems.length > 0 ? `: ${problems.map(formatInvalid).join('; ')}` : ''}`);
  }
  const accepted = served.filter((d) => d.expect === 'accept').length;
  t.diagnostic(`${served.length} documents of served kinds (${accepted} Istio accepts, ${served.length - accepted} it refuses) from ${Object.entries(corpus.sources).map(([r, c]) => `${r}@${c.slice(0, 10)}`).join(', ')}; ${wrong.length} wrong`);
  assert.deepEqual(wrong, []);
});

test('istio.corpus: where Istio’s webhook warns, apply accepts the document and answers Istio’s warnings; elsewhere none', (t) => {
  const accepted = served.filter((d) => d.expect === 'accept');
  const differ = accepted.flatMap((d) => {
    const got = applyOf(d.yaml).warnings;
    const want = d.warnings ?? [];
    return JSON.stringify(got) === JSON.stringify(want) ? [] : [`${d.source}: Istio warns ${JSON.stringify(want)}; galley answered ${JSON.stringify(got)}`];
  });
  const warned = accepted.filter((d) => (d.warnings ?? []).length > 0);
  t.diagnostic(`${warned.length} documents Istio accepts with warnings (${warned.reduce((n, d) => n + (d.warnings ?? []).length, 0)} warnings); ${differ.length} differ`);
  assert.ok(warned.length >= 9, 'the expected warnings were not extracted: run scripts/extract-istio-corpus.mjs');
  assert.deepEqual(differ, []);
});

test('istio.corpus: where Istio’s CRD fixture names the failing field, galley names the same field', () => {
  const withPath = served.flatMap((d) => {
    const path = /^(spec[^:\s]*):/.exec(d.istioError ?? '')?.[1];
    return path === undefined ? [] : [{ d, path }];
  });
  assert.ok(withPath.length >= 10, `only ${withPath.length} fixtures name a path: has the extraction changed?`);
  const elsewhere = withPath.flatMap(({ d, path }) => {
    const paths = problemsOf(d.yaml).map((p) => p.path);
    return paths.some((p) => p === path || p.startsWith(`${path}.`) || p.startsWith(`${path}[`)) ? [] : [`${d.source}: Istio says ${d.istioError}; galley says ${paths.join(', ') || 'nothing'}`];
  });
  assert.deepEqual(elsewhere, []);
});

test('istio.corpus: a document of a kind Jetmesh does not serve (EnvoyFilter, Telemetry, WasmPlugin, …) is refused by naming its kind', () => {
  assert.ok(notServed.length > 0);
  const unclear = notServed.filter((d) => !problemsOf(d.yaml).some((p) => p.code === 'UNKNOWN_KIND' && p.reason.includes(`"${d.kind}"`)));
  assert.deepEqual(unclear.map((d) => d.source), []);
});

test('istio.corpus: every refusal found among Istio’s accepted documents says which Istio rule refuses it too', () => {
  const unexplained = corpus.documents.filter((d) => d.expect === 'refuse' && d.why === undefined && !/-invalid\.ya?ml#/.test(d.source));
  assert.deepEqual(unexplained.map((d) => d.source), []);
});
