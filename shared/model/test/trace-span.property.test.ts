import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { decodeTraceSpan, decodeTraceSpanBatch, TRACE_SPAN_MAX_ATTRIBUTES, type TraceSpan, type TraceSpanBatch } from '../src/index.js';

// Wire objects have Object's prototype; fast-check may otherwise build null-prototype ones.
const recordOf = <T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }, requiredKeys?: (keyof T)[]): fc.Arbitrary<T> =>
  fc.record(model, { noNullPrototype: true, ...(requiredKeys !== undefined ? { requiredKeys } : {}) }) as fc.Arbitrary<T>;
const hex = (n: number): fc.Arbitrary<string> =>
  fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`)).filter((s) => !/^0+$/.test(s));
const nanos = fc.bigInt({ min: 0n, max: 4_102_444_800_000_000_000n });
const name = fc.string({ minLength: 1, maxLength: 40 });
const attributeValue = fc.oneof(fc.string({ maxLength: 40 }), fc.boolean(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? 0 : n)));
const attributes = fc.dictionary(fc.string({ minLength: 1, maxLength: 30 }).filter((k) => k !== '__proto__'), attributeValue, { maxKeys: 8, noNullPrototype: true });

const span: fc.Arbitrary<TraceSpan> = fc
  .tuple(
    recordOf<Omit<TraceSpan, 'startNanos' | 'endNanos'>>(
      {
        traceId: hex(32),
        spanId: hex(16),
        parentSpanId: hex(16),
        traceState: fc.string({ maxLength: 60 }),
        name,
        kind: fc.constantFrom('client', 'server') as fc.Arbitrary<TraceSpan['kind']>,
        status: fc.constantFrom('unset', 'ok', 'error') as fc.Arbitrary<TraceSpan['status']>,
        attributes,
        source: recordOf({ workload: name, namespace: name }),
        destination: recordOf({ workload: name, namespace: name }),
      },
      ['traceId', 'spanId', 'name', 'kind', 'status', 'attributes', 'source', 'destination'],
    ),
    nanos,
    fc.bigInt({ min: 0n, max: 10_000_000_000n }),
  )
  .filter(([s]) => s.parentSpanId !== s.spanId)
  .map(([s, start, length]) => ({ ...s, startNanos: String(start), endNanos: String(start + length) }));
const batch: fc.Arbitrary<TraceSpanBatch> = recordOf<TraceSpanBatch>({
  workload: recordOf({ namespace: name, name }),
  spans: fc.array(span, { maxLength: 5 }),
  dropped: fc.nat(),
});

const wire = (r: unknown): unknown => JSON.parse(JSON.stringify(r));
const paths = (u: unknown): string[] => {
  const d = decodeTraceSpanBatch(u);
  return d._tag === 'Left' ? d.left.map((e) => e.path).sort() : [];
};

describe('model.trace-span', () => {
  it('round-trip: any batch decodes from its JSON to an equal batch (property)', () => {
    fc.assert(
      fc.property(batch, (b) => {
        const decoded = decodeTraceSpanBatch(wire(b));
        assert.ok(decoded._tag === 'Right', JSON.stringify(decoded));
        assert.deepEqual(decoded.right, b);
      }),
    );
  });

  // Each breakage of a field, and where the decoder must say it is.
  const breakages: [string, (r: Record<string, unknown>) => void][] = [
    ['traceId', (r) => (r.traceId = 'ABCDEF0123456789abcdef0123456789')],
    ['spanId', (r) => (r.spanId = '0000000000000000')],
    ['parentSpanId', (r) => (r.parentSpanId = '12345')],
    ['name', (r) => (r.name = '')],
    ['kind', (r) => (r.kind = 'producer')],
    ['startNanos', (r) => (r.startNanos = 1.5)],
    ['status', (r) => (r.status = 'fine')],
    ['attributes', (r) => (r.attributes = [])],
    ['source', (r) => delete r.source],
    ['destination', (r) => (r.destination = { workload: '', namespace: 'default' })],
    ['surprise', (r) => (r.surprise = 1)],
  ];
  const pathOf = (field: string): string => (field === 'destination' ? 'destination.workload' : field);

  it('errors: every broken field of any span is refused at its own path, all at once (property)', () => {
    fc.assert(
      fc.property(batch.filter((b) => b.spans.length > 0), fc.nat(), fc.subarray(breakages.map((_, i) => i), { minLength: 1 }), (b, n, picked) => {
        const i = n % b.spans.length;
        const broken = wire(b) as { spans: Record<string, unknown>[] };
        for (const k of picked) breakages[k]![1](broken.spans[i]!);
        assert.deepEqual(paths(broken), picked.map((k) => `spans[${i}].${pathOf(breakages[k]![0])}`).sort());
      }),
    );
  });

  it('errors: an end before the start, a span its own parent, a bad attribute value or too many attributes, each named', () => {
    const ok = wire(fc.sample(span, { numRuns: 1, seed: 7 })[0]!) as Record<string, unknown>;
    const one = (s: Record<string, unknown>): string[] => {
      const d = decodeTraceSpan(s);
      return d._tag === 'Left' ? d.left.map((e) => `${e.path}: ${e.reason}`) : [];
    };
    assert.deepEqual(one({ ...ok, startNanos: '2000', endNanos: '1999' }), ['endNanos: must not be before startNanos']);
    assert.deepEqual(one({ ...ok, parentSpanId: ok.spanId }), ['parentSpanId: must not be the span itself']);
    assert.deepEqual(one({ ...ok, attributes: { 'http.method': 'GET', 'http.status_code': null } }).map((e) => e.split(':')[0]), ['attributes["http.status_code"]']);
    const many = Object.fromEntries(Array.from({ length: TRACE_SPAN_MAX_ATTRIBUTES + 1 }, (_, i) => [`k${i}`, i]));
    assert.deepEqual(one({ ...ok, attributes: many }), [`attributes: must have at most ${TRACE_SPAN_MAX_ATTRIBUTES} attributes`]);
    assert.deepEqual(one({ ...ok, startNanos: '123456789012345678901' }).map((e) => e.split(':')[0]), ['startNanos']);
  });

  it('errors: the envelope: an empty workload name, a negative drop count, spans that are not a list', () => {
    const ok = wire(fc.sample(batch, { numRuns: 1, seed: 3 })[0]!) as Record<string, unknown>;
    assert.deepEqual(paths({ ...ok, workload: { namespace: 'default', name: '' } }), ['workload.name']);
    assert.deepEqual(paths({ ...ok, dropped: -1 }), ['dropped']);
    assert.deepEqual(paths({ ...ok, spans: {} }), ['spans']);
    assert.ok(decodeTraceSpanBatch(null)._tag === 'Left');
  });
});
