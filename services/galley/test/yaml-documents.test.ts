import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isLeft } from 'fp-ts/lib/Either.js';
import { parseYamlDocuments } from '../src/yaml-documents.js';

const MAX = 512 * 1024;

/** Each document as [number, line, content] or its error lines. */
const outcome = (text: string, max = MAX): unknown[] =>
  parseYamlDocuments(text, max).map((d) => (isLeft(d) ? d.left.map((e) => `${e.path}: ${e.reason}`) : [d.right.number, d.right.line, d.right.content]));

describe('yaml-documents', () => {
  test('yaml-documents: documents are numbered and located; empty ones are skipped', () => {
    const text = '# header\n---\na: 1\n---\n# just a comment\n---\n\n---\nb: [x, y]\n...\n# trailer\n';
    assert.deepEqual(outcome(text), [
      [1, 2, { a: 1 }],
      [2, 8, { b: ['x', 'y'] }],
    ]);
  });

  test('yaml-documents: a syntax error names the document and its line in the request', () => {
    assert.deepEqual(outcome('a: 1\n---\nb: 2\nb: 3\n'), [[1, 1, { a: 1 }], ['document 2 (line 4): Map keys must be unique']]);
  });

  test('yaml-documents: an oversized document is refused by size before it is parsed', () => {
    // Not valid YAML either: only the size is reported, since it is never parsed.
    const huge = `a: [${'x'.repeat(2000)}\n`;
    const bytes = Buffer.byteLength(`---\n${huge}`);
    assert.deepEqual(outcome(`ok: true\n---\n${huge}`, 1024), [
      [1, 1, { ok: true }],
      [`document 2 (line 2): is ${bytes} bytes (2.0 KiB), over the limit of 1024 bytes (1.0 KiB) per document`],
    ]);
  });

  test('yaml-documents: "---" inside a block scalar line does not split, "---" at column 0 does', () => {
    assert.deepEqual(outcome('a: |\n  text\n  --- still text\n---\nb: 1\n'), [
      [1, 1, { a: 'text\n--- still text\n' }],
      [2, 4, { b: 1 }],
    ]);
  });

  test('yaml-documents: a directive stays with the document its marker opens', () => {
    assert.deepEqual(outcome('%YAML 1.2\n---\na: 1\n'), [[1, 1, { a: 1 }]]);
  });

  test('yaml-documents: alias bombs are refused', () => {
    const bomb = ['a: &a [x, x, x, x, x, x, x, x, x, x]', 'b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]', 'c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]', 'd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]', ''].join('\n');
    const [result] = outcome(bomb);
    assert.ok(Array.isArray(result) && typeof result[0] === 'string' && result[0].startsWith('document 1 (line 1): '), JSON.stringify(result));
  });

  test('yaml-documents: JSON is YAML', () => {
    assert.deepEqual(outcome('{"kind": "VirtualService", "spec": {"hosts": ["a"]}}'), [[1, 1, { kind: 'VirtualService', spec: { hosts: ['a'] } }]]);
  });
});
