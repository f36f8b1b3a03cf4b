import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { fitReply } from '../src/index.js';

test('reply-fitting: a reply that fits is returned as it is', () => {
  const reply: { replica: string; rows: Array<{ n: number }>; omitted?: number } = { replica: 'a', rows: [{ n: 1 }, { n: 2 }] };
  assert.equal(fitReply(reply, 'rows', 1_048_576), reply);
});

test('reply-fitting.property: the kept rows are a prefix that fits, and omitted counts the rest', () => {
  fc.assert(
    fc.property(fc.array(fc.record({ name: fc.string({ maxLength: 200 }) }), { maxLength: 200 }), fc.integer({ min: 4096, max: 40_000 }), (rows, limit) => {
      const fitted = fitReply({ rows } as { rows: typeof rows; omitted?: number }, 'rows', limit);
      assert.deepEqual(fitted.rows, rows.slice(0, fitted.rows.length));
      assert.equal((fitted.omitted ?? 0) + fitted.rows.length, rows.length);
      const bytes = 4096 + fitted.rows.reduce((n, r) => n + Buffer.byteLength(JSON.stringify(r)) + 1, 0);
      assert.ok(bytes <= limit);
      if (fitted.omitted !== undefined) assert.ok(bytes + Buffer.byteLength(JSON.stringify(rows[fitted.rows.length])) + 1 > limit);
    }),
  );
});
