import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { unifiedHunks } from '../src/render/unified-diff.js';

/** Applies hunks the way `patch` does: the property that makes the diff trustworthy. */
const applyHunks = (before: string, hunks: readonly string[]): string => {
  const a = before === '' ? [] : before.replace(/\n$/, '').split('\n');
  const out: string[] = [];
  let next = 0;
  for (const line of hunks) {
    const header = /^@@ -(\d+)(?:,(\d+))? \+\d+(?:,\d+)? @@$/.exec(line);
    if (header) {
      const start = Number(header[1]) - (header[2] === '0' ? 0 : 1);
      out.push(...a.slice(next, start));
      next = start;
      continue;
    }
    if (line.startsWith(' ')) {
      assert.equal(a[next], line.slice(1), 'context line matches');
      out.push(line.slice(1));
      next++;
    } else if (line.startsWith('-')) {
      assert.equal(a[next], line.slice(1), 'removed line matches');
      next++;
    } else out.push(line.slice(1));
  }
  out.push(...a.slice(next));
  return out.length === 0 ? '' : `${out.join('\n')}\n`;
};

const text = fc.array(fc.constantFrom('a', 'b', 'c', 'd', 'weight: 90', 'weight: 10', '  - name: v1'), { maxLength: 30 }).map((ls) => (ls.length === 0 ? '' : `${ls.join('\n')}\n`));

test('unified-diff.property: patching the old text with the hunks gives the new text', () => {
  fc.assert(fc.property(text, text, (before, after) => assert.equal(applyHunks(before, unifiedHunks(before, after)), after)));
});

test('unified-diff.property: equal texts have no hunks', () => {
  fc.assert(fc.property(text, (t) => assert.deepEqual(unifiedHunks(t, t), [])));
});

test('unified-diff: one changed weight shows as one hunk with three lines of context', () => {
  const before = ['a', 'b', 'c', 'd', 'weight: 90', 'e', 'f', 'g', 'h'].join('\n');
  const after = before.replace('weight: 90', 'weight: 80');
  assert.deepEqual(unifiedHunks(before, after), ['@@ -2,7 +2,7 @@', ' b', ' c', ' d', '-weight: 90', '+weight: 80', ' e', ' f', ' g']);
});

test('unified-diff: a resource that does not exist yet is all additions', () => {
  assert.deepEqual(unifiedHunks('', 'kind: X\nspec: {}\n'), ['@@ -0,0 +1,2 @@', '+kind: X', '+spec: {}']);
});

test('unified-diff: a 6,000-line resource with a change every 100 lines gives 60 hunks of seven lines each', () => {
  const lines = Array.from({ length: 6_000 }, (_, i) => `  - weight: ${i}`);
  const before = `${lines.join('\n')}\n`;
  const changed = (i: number): boolean => i % 100 === 50;
  const after = `${lines.map((l, i) => (changed(i) ? `${l} # changed` : l)).join('\n')}\n`;
  const hunks = unifiedHunks(before, after);
  const headers = hunks.filter((l) => l.startsWith('@@'));
  assert.equal(headers.length, 60);
  // Line 51 (index 50) changed: context starts at line 48, seven lines on each side.
  assert.deepEqual(headers.slice(0, 2), ['@@ -48,7 +48,7 @@', '@@ -148,7 +148,7 @@']);
  assert.equal(hunks.length, 60 * 9);
  assert.equal(applyHunks(before, hunks), after);
});
