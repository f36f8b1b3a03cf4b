import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { ACCESS_LOG_MAX_TEXT, decodeAccessLogBatch, decodeAccessLogRecord, type AccessLogBatch, type AccessLogRecord } from '../src/index.js';

// Wire objects have Object's prototype; fast-check may otherwise build null-prototype ones.
const recordOf = <T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }, requiredKeys?: (keyof T)[]): fc.Arbitrary<T> =>
  fc.record(model, { noNullPrototype: true, ...(requiredKeys !== undefined ? { requiredKeys } : {}) }) as fc.Arbitrary<T>;
const word = fc.oneof(fc.constant('-'), fc.string({ minLength: 1, maxLength: 40 }));
const epochMs = fc.integer({ min: 0, max: 4_102_444_800_000 });
const ms = fc.double({ min: 0, max: 1e7, noNaN: true }).map((n) => (Object.is(n, -0) ? 0 : n));

const accessLogRecord: fc.Arbitrary<AccessLogRecord> = recordOf<AccessLogRecord>(
  {
    start_time: epochMs.map((t) => new Date(t).toISOString()),
    method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'OPTIONS'),
    path: fc.oneof(fc.constant('/'), fc.string({ minLength: 1, maxLength: 80 }).map((p) => `/${p}`)),
    protocol: fc.constantFrom('http', 'grpc'),
    response_code: fc.integer({ min: 0, max: 999 }),
    grpc_status: fc.integer({ min: 0, max: 16 }),
    response_flags: fc.constantFrom('-', 'UH', 'NR', 'URX,UF', 'UT'),
    bytes_received: fc.nat(),
    bytes_sent: fc.nat(),
    duration: ms,
    upstream_host: word,
    upstream_cluster: word,
    route_name: word,
    authority: fc.string({ maxLength: 40 }),
    x_forwarded_for: fc.string({ maxLength: 40 }),
    user_agent: fc.string({ maxLength: 40 }),
    request_id: word,
    trace_id: word,
    reporter: fc.constantFrom('source', 'destination') as fc.Arbitrary<AccessLogRecord['reporter']>,
    source_workload: word,
    source_namespace: word,
    destination_workload: word,
    destination_namespace: word,
    destination_service: word,
    mtls: fc.boolean(),
  },
  [
    'start_time', 'method', 'path', 'protocol', 'response_code', 'response_flags', 'bytes_received', 'bytes_sent', 'duration', 'upstream_host', 'upstream_cluster',
    'route_name', 'authority', 'reporter', 'source_workload', 'source_namespace', 'destination_workload', 'destination_namespace', 'destination_service', 'mtls',
  ],
);
const batch: fc.Arbitrary<AccessLogBatch> = recordOf<AccessLogBatch>({
  workload: recordOf({ namespace: fc.string({ minLength: 1, maxLength: 20 }), name: fc.string({ minLength: 1, maxLength: 40 }) }),
  records: fc.array(accessLogRecord, { maxLength: 5 }),
  dropped: fc.nat(),
});

const wire = (r: unknown): unknown => JSON.parse(JSON.stringify(r));
const paths = (u: unknown): string[] => {
  const d = decodeAccessLogBatch(u);
  return d._tag === 'Left' ? d.left.map((e) => e.path).sort() : [];
};

describe('model.access-log-record', () => {
  it('round-trip: any batch decodes from its JSON to an equal batch (property)', () => {
    fc.assert(
      fc.property(batch, (b) => {
        const decoded = decodeAccessLogBatch(wire(b));
        assert.ok(decoded._tag === 'Right', JSON.stringify(decoded));
        assert.deepEqual(decoded.right, b);
      }),
    );
  });

  // Each breakage of a field, and where the decoder must say it is.
  const breakages: [string, (r: Record<string, unknown>) => void][] = [
    ['start_time', (r) => (r.start_time = 'yesterday')],
    ['response_code', (r) => (r.response_code = 1000)],
    ['duration', (r) => (r.duration = -1)],
    ['bytes_sent', (r) => (r.bytes_sent = 1.5)],
    ['reporter', (r) => (r.reporter = 'both')],
    ['method', (r) => (r.method = '')],
    ['mtls', (r) => (r.mtls = 'yes')],
    ['source_workload', (r) => delete r.source_workload],
    ['grpc_status', (r) => (r.grpc_status = -2)],
    ['path', (r) => (r.path = `/${'x'.repeat(ACCESS_LOG_MAX_TEXT)}`)],
    ['surprise', (r) => (r.surprise = 1)],
  ];

  it('errors: every broken field of any record is refused at its own path, all at once (property)', () => {
    fc.assert(
      fc.property(batch.filter((b) => b.records.length > 0), fc.nat(), fc.subarray(breakages.map((_, i) => i), { minLength: 1 }), (b, n, picked) => {
        const i = n % b.records.length;
        const broken = wire(b) as { records: Record<string, unknown>[] };
        for (const k of picked) breakages[k]![1](broken.records[i]!);
        assert.deepEqual(paths(broken), picked.map((k) => `records[${i}].${breakages[k]![0]}`).sort());
      }),
    );
  });

  it('errors: the envelope: an empty workload name, a negative drop count, records that are not a list, an unknown field', () => {
    const ok = wire(fc.sample(batch, { numRuns: 1, seed: 11 })[0]!) as Record<string, unknown>;
    assert.deepEqual(paths({ ...ok, workload: { namespace: 'default', name: '' } }), ['workload.name']);
    assert.deepEqual(paths({ ...ok, dropped: -1 }), ['dropped']);
    assert.deepEqual(paths({ ...ok, records: {} }), ['records']);
    assert.deepEqual(paths({ ...ok, extra: true }), ['extra']);
    assert.ok(decodeAccessLogRecord(null)._tag === 'Left');
  });
});
