import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { errorDetails, errorLinesOf, maxErrorDetailsEncoded, maxErrorLineLength } from '../src/index.js';

// Lines as hostile input makes them: any code units (lone surrogates included), some very long.
const line = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', minLength: 900, maxLength: 1500 }),
  fc.string({ unit: fc.constantFrom('\uD800', '\uDC00', 'é', 'a', '😀'), maxLength: 1800 }),
).map((text) => `e: ${text.replaceAll('\n', ' ')}`); // callers send one non-empty error per line

const wellFormed = (s: string): boolean => {
  try {
    encodeURI(s);
    return true;
  } catch {
    return false;
  }
};

test('errorDetails: what it returns always fits the trailer, encodes, and counts what it left out', () => {
  fc.assert(
    fc.property(fc.array(line, { maxLength: 300 }), (lines) => {
      const details = errorDetails(lines);
      const encoded = encodeURI(details); // throws on a lone surrogate
      assert.ok(encoded.length <= maxErrorDetailsEncoded + 40, `${encoded.length} encoded characters`);
      const out = details === '' ? [] : details.split('\n');
      const omitted = out.at(-1)?.match(/^… and (\d+) more errors$/);
      const kept = omitted ? out.length - 1 : out.length;
      assert.equal(kept + (omitted ? Number(omitted[1]) : 0), lines.length, 'every line is kept or counted');
      for (const [i, kept] of out.slice(0, omitted ? -1 : undefined).entries()) {
        const original = lines[i] ?? '';
        if (original.length <= maxErrorLineLength && wellFormed(original)) assert.equal(kept, original);
        else assert.ok(kept.length <= maxErrorLineLength + 40, 'a long line is cut');
      }
    }),
    { numRuns: 300 },
  );
});

test('errorDetails: ordinary errors pass unchanged and a client reads them back line by line', () => {
  const lines = ['document 1 (VirtualService default/reviews): spec.hosts: required', 'document 2: kind: required'];
  assert.deepEqual(errorLinesOf({ details: errorDetails(lines) }), lines);
});

test('errorDetails: 10k errors of a 1 MiB document come back as a bounded head and a count', () => {
  const lines = Array.from({ length: 10_000 }, (_, i) => `document 1: spec.hosts[${i}]: "${'x'.repeat(100)}" is not a valid host`);
  const huge = `kind: unknown kind "${'K'.repeat(1 << 20)}"`;
  lines.unshift(huge);
  const out = errorLinesOf({ details: errorDetails(lines) });
  assert.equal(out[0], `${huge.slice(0, maxErrorLineLength)}… (${huge.length - maxErrorLineLength} more characters)`);
  assert.match(out.at(-1) ?? '', /^… and \d+ more errors$/);
  assert.ok(out.length < 60, `${out.length} lines`);
});
