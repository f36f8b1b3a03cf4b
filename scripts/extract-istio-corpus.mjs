#!/usr/bin/env node
// Extracts Istio's public configuration (istio/istio samples, tests, analyzer and validation testdata;
// istio/api's documented examples) into a fixture file for galley's corpus test, with the verdict
// Istio gives each document. Data only: the documents as Istio publishes them, nothing rewritten.
//
//   node scripts/extract-istio-corpus.mjs --istio <istio/istio git dir> --api <istio/api git dir>
//
// The git dirs are bare clones (e.g. the ones the search tool's fetch brings); HEAD is read.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';

const root = new URL('..', import.meta.url).pathname;
const outDir = join(root, 'services/galley/test/fixtures/istio-corpus');

const args = process.argv.slice(2);
const arg = (name) => {
  const i = args.indexOf(`--${name}`);
  if (i < 0 || args[i + 1] === undefined) {
    console.error(`usage: extract-istio-corpus.mjs --istio <git dir> --api <git dir> (missing --${name})`);
    process.exit(2);
  }
  return args[i + 1];
};
const repos = { 'istio/istio': arg('istio'), 'istio/api': arg('api') };

const git = (repo, ...argv) => execFileSync('git', ['--git-dir', repos[repo], ...argv], { encoding: 'utf8', maxBuffer: 256 << 20 });
const commitOf = (repo) => git(repo, 'rev-parse', 'HEAD').trim();
const filesUnder = (repo, folder, pattern) =>
  git(repo, 'ls-tree', '-r', '--name-only', 'HEAD', folder).split('\n').filter((p) => pattern.test(p));
const show = (repo, path) => git(repo, 'show', `HEAD:${path}`);

/** Istio's own configuration groups: everything else in these trees is Kubernetes or Gateway API. */
const istioGroup = /^(networking|security|telemetry|extensions)\.istio\.io\//;

// Hand-kept exceptions: a document in a "valid" location that Istio itself refuses, with the rule.
const overrides = JSON.parse(readFileSync(join(outDir, 'verdict-overrides.json'), 'utf8'));
// Hand-kept too: the warnings Istio's webhook gives a document (its test data names none), with the rule.
const expectedWarnings = JSON.parse(readFileSync(join(outDir, 'expected-warnings.json'), 'utf8'));

const documents = [];
const skipped = { template: 0, unparsable: 0, notIstio: 0 };

/** Splits one YAML text into documents, each kept as its own source text. */
const addYaml = (repo, path, text, expect, section = '') => {
  if (/\{\{|\$\{/.test(text)) {
    skipped.template += 1; // Go templates and shell variables: not configuration until rendered.
    return;
  }
  let parsed;
  try {
    parsed = parseAllDocuments(text);
  } catch {
    skipped.unparsable += 1;
    return;
  }
  if (!Array.isArray(parsed)) parsed = [parsed];
  parsed.forEach((doc, index) => {
    if (doc.errors.length > 0) {
      skipped.unparsable += 1;
      return;
    }
    const content = doc.toJS();
    if (content === null || typeof content !== 'object' || typeof content.apiVersion !== 'string' || !istioGroup.test(content.apiVersion)) {
      skipped.notIstio += 1;
      return;
    }
    const [start, , end] = doc.range;
    const source = `${repo}:${path}${section}#${index}`;
    const override = overrides[source];
    // Istio's CRD fixtures carry the error they expect in `_err`, which its test strips before applying.
    const istioError = typeof content._err === 'string' ? content._err : undefined;
    const yaml = text.slice(start, end).replace(/^_err:.*\n/m, '').replace(/\n*$/, '\n');
    documents.push({
      source,
      kind: content.kind,
      name: content.metadata?.name ?? '',
      expect: override?.expect ?? expect,
      ...(override !== undefined ? { why: override.why } : {}),
      ...(istioError !== undefined ? { istioError } : {}),
      ...(expectedWarnings[source] !== undefined ? { warnings: expectedWarnings[source].warnings } : {}),
      yaml,
    });
  });
};

// istio/istio: files, whose location says whether Istio accepts them.
for (const [folder, pattern] of [
  ['samples', /\.ya?ml$/],
  ['tests', /\.ya?ml$/],
  ['pkg/config/analysis/analyzers/testdata', /\.ya?ml$/],
  ['pkg/config/validation/testdata/crds', /\.ya?ml$/],
]) {
  for (const path of filesUnder('istio/istio', folder, pattern)) {
    addYaml('istio/istio', path, show('istio/istio', path), /-invalid\.ya?ml$/.test(path) ? 'refuse' : 'accept');
  }
}

// istio/api: the ```yaml examples in the API's own reference comments.
for (const path of filesUnder('istio/api', '.', /^(networking|security|telemetry|extensions)\/.*\.proto$/)) {
  const lines = show('istio/api', path).split('\n');
  let block;
  let blockNumber = 0;
  for (const line of lines) {
    const comment = /^\s*\/\/ ?(.*)$/.exec(line);
    const body = comment ? comment[1] : undefined;
    if (block === undefined && body !== undefined && /^```ya?ml\s*$/.test(body)) block = [];
    else if (block !== undefined && (body === undefined || /^```\s*$/.test(body))) {
      blockNumber += 1;
      addYaml('istio/api', path, block.join('\n') + '\n', 'accept', `@example${blockNumber}`);
      block = undefined;
    } else if (block !== undefined) block.push(body);
  }
}

const unusedOverrides = Object.keys(overrides).filter((s) => !documents.some((d) => d.source === s));
if (unusedOverrides.length > 0) {
  console.error(`verdict-overrides.json names documents the corpus does not hold:\n  ${unusedOverrides.join('\n  ')}`);
  process.exit(1);
}
const unusedWarnings = Object.keys(expectedWarnings).filter((s) => !documents.some((d) => d.source === s));
if (unusedWarnings.length > 0) {
  console.error(`expected-warnings.json names documents the corpus does not hold:\n  ${unusedWarnings.join('\n  ')}`);
  process.exit(1);
}

const corpus = {
  extractedBy: 'scripts/extract-istio-corpus.mjs',
  sources: Object.fromEntries(Object.keys(repos).map((r) => [r, commitOf(r)])),
  documents,
};
writeFileSync(join(outDir, 'documents.json'), JSON.stringify(corpus, null, 1) + '\n');
const byExpect = documents.reduce((m, d) => ({ ...m, [d.expect]: (m[d.expect] ?? 0) + 1 }), {});
console.log(`${documents.length} Istio documents (${JSON.stringify(byExpect)}); skipped ${JSON.stringify(skipped)}`);
