/** fast-check arbitraries of valid telemetry reports, for the codecs' property tests. */
import fc from 'fast-check';
import { ISTIO_BYTE_BUCKETS, ISTIO_DURATION_BUCKETS_MS, ISTIO_REQUEST_LABELS, type TelemetryReport } from '../src/index.js';

// Wire objects have Object's prototype; fast-check may otherwise build null-prototype ones.
const record = <T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }): fc.Arbitrary<T> => fc.record(model, { noNullPrototype: true });
export const labelValue = fc.oneof(fc.constant('unknown'), fc.constantFrom('200', '503', '-', 'UH,URX', 'mutual_tls'), fc.string({ minLength: 1, maxLength: 40 }));
export const labels = record(Object.fromEntries(ISTIO_REQUEST_LABELS.map((l) => [l, labelValue])) as Record<(typeof ISTIO_REQUEST_LABELS)[number], fc.Arbitrary<string>>);
const histogram = (buckets: number) => record({ counts: fc.array(fc.nat(), { minLength: buckets + 1, maxLength: buckets + 1 }), sum: fc.double({ min: 0, max: 1e12, noNaN: true }).map((n) => (Object.is(n, -0) ? 0 : n)) });
export const series = record({ labels, requests: fc.nat(), durationMs: histogram(ISTIO_DURATION_BUCKETS_MS.length), requestBytes: histogram(ISTIO_BYTE_BUCKETS.length), responseBytes: histogram(ISTIO_BYTE_BUCKETS.length) });
const epochMs = fc.integer({ min: 0, max: 4_102_444_800_000 });
export const report: fc.Arbitrary<TelemetryReport> = record({
    id: fc.string({ minLength: 1, maxLength: 36 }),
    reporter: fc.constantFrom('source', 'destination', 'both') as fc.Arbitrary<TelemetryReport['reporter']>,
    workload: record({ namespace: fc.string({ minLength: 1, maxLength: 20 }), name: fc.string({ minLength: 1, maxLength: 40 }) }),
    start: epochMs,
    length: fc.integer({ min: 0, max: 120_000 }),
    series: fc.array(series, { maxLength: 5 }),
    overflowRequests: fc.nat(),
  }).map(({ start, length, ...r }) => ({ ...r, window: { start: new Date(start).toISOString(), end: new Date(start + length).toISOString() } }));
