#!/usr/bin/env node
// Extracts istioctl's own analyzer test cases (pkg/config/analysis/analyzers/analyzers_test.go: each
// case's name, analyzer, input files and expected findings) with the input files' YAML, for the
// model's analyzer-agreement test. Data only: the test table and testdata as Istio publishes them.
//
//   node scripts/extract-istio-analyzer-cases.mjs --istio <istio/istio git dir>
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const out = join(root, 'shared/model/test/fixtures/istio-analyzer-cases.json');
const args = process.argv.slice(2);
const gitDir = args[args.indexOf('--istio') + 1];
if (!args.includes('--istio') || gitDir === undefined) {
  console.error('usage: extract-istio-analyzer-cases.mjs --istio <istio/istio git dir>');
  process.exit(2);
}
const git = (...argv) => execFileSync('git', ['--git-dir', gitDir, ...argv], { encoding: 'utf8', maxBuffer: 64 << 20 });
const base = 'pkg/config/analysis/analyzers';
const source = git('show', `HEAD:${base}/analyzers_test.go`);

// The table is `var testGrid = []testCase{ {…}, {…} }`; each case opens with a tab-indented `{`.
const grid = source.slice(source.indexOf('var testGrid = []testCase{'));
const end = grid.indexOf('\n}\n');
const body = grid.slice(0, end);
const blocks = body.split(/\n\t\{\n/).slice(1);

const strings = (text) => [...text.matchAll(/"([^"]*)"/g)].map((m) => m[1]);
const cases = [];
for (const block of blocks) {
  const name = /name:\s*"([^"]*)"/.exec(block)?.[1];
  if (name === undefined) continue;
  const inputs = strings(/inputFiles:\s*\[\]string\{([\s\S]*?)\}/.exec(block)?.[1] ?? '');
  const meshConfigFile = /meshConfigFile:\s*"([^"]*)"/.exec(block)?.[1];
  const analyzer = /analyzer:\s*([^\n]*?),?\n/.exec(block)?.[1]?.trim() ?? '';
  const expectedText = /expected:\s*\[\]message\{([\s\S]*)\}/.exec(block)?.[1] ?? '';
  const expected = [...expectedText.matchAll(/\{msg\.(\w+),\s*"([^"]*)"\}/g)].map((m) => ({ type: m[1], resource: m[2] }));
  cases.push({
    name,
    analyzer,
    // The mesh config the case runs with (its defaultConfig.proxyMetadata matters to IST0134).
    ...(meshConfigFile !== undefined ? { meshConfigFile, meshConfig: git('show', `HEAD:${base}/${meshConfigFile}`) } : {}),
    inputs: inputs.map((file) => ({ file, yaml: git('show', `HEAD:${base}/${file}`) })),
    expected,
  });
}

const commit = git('rev-parse', 'HEAD').trim();
writeFileSync(out, JSON.stringify({ extractedBy: 'scripts/extract-istio-analyzer-cases.mjs', source: `istio/istio@${commit}:${base}/analyzers_test.go`, cases }, null, 1) + '\n');
console.log(`${cases.length} analyzer cases, ${cases.reduce((n, c) => n + c.expected.length, 0)} expected findings`);
