import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { JsonTraceSerializer } from '@opentelemetry/otlp-transformer';
import type { TraceSpan, TraceSpanBatch } from '@jetmesh/model';
import { hrTimeOf, readableSpansOf } from '../src/tracing/otlp-span.js';

// Wire objects have Object's prototype; fast-check may otherwise build null-prototype ones.
const recordOf = <T>(model: { [K in keyof T]: fc.Arbitrary<T[K]> }, requiredKeys?: (keyof T)[]): fc.Arbitrary<T> =>
  fc.record(model, { noNullPrototype: true, ...(requiredKeys !== undefined ? { requiredKeys } : {}) }) as fc.Arbitrary<T>;
const hex = (n: number): fc.Arbitrary<string> => fc.stringMatching(new RegExp(`^[0-9a-f]{${n}}$`)).filter((s) => !/^0+$/.test(s));
const nanos = fc.bigInt({ min: 0n, max: 4_102_444_800_000_000_000n });
const name = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/);
/** A W3C tracestate with distinct keys, as a caller sends it. */
const traceState = fc
  .uniqueArray(fc.tuple(fc.stringMatching(/^[a-z][a-z0-9_*/-]{0,8}$/), fc.stringMatching(/^[a-zA-Z0-9_.:;!~+-]{1,12}$/)), { minLength: 1, maxLength: 6, selector: ([k]) => k })
  .map((ms) => ms.map(([k, v]) => `${k}=${v}`).join(','));
const attributeValue = fc.oneof(fc.string({ maxLength: 40 }), fc.boolean(), fc.integer(), fc.double({ noNaN: true, noDefaultInfinity: true }));
const attributes = fc.dictionary(fc.string({ minLength: 1, maxLength: 30 }).filter((k) => k !== '__proto__' && !k.startsWith('istio.')), attributeValue, { maxKeys: 8, noNullPrototype: true });

const span: fc.Arbitrary<TraceSpan> = fc
  .tuple(
    recordOf<Omit<TraceSpan, 'startNanos' | 'endNanos'>>(
      {
        traceId: hex(32),
        spanId: hex(16),
        parentSpanId: hex(16),
        traceState,
        name: fc.string({ minLength: 1, maxLength: 40 }),
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

/** A batch from one proxy: its Istio tags on every span, as the proxy writes them. */
const batch: fc.Arbitrary<TraceSpanBatch> = fc
  .record({ namespace: name, workload: name, canonicalService: fc.option(name, { nil: undefined }), spans: fc.array(span, { maxLength: 6 }), dropped: fc.nat() })
  .map(({ namespace, workload, canonicalService, spans, dropped }) => ({
    workload: { namespace, name: workload },
    spans: spans.map((s) => ({
      ...s,
      attributes: { ...s.attributes, 'istio.namespace': namespace, 'istio.mesh_id': 'cluster.local', ...(canonicalService !== undefined ? { 'istio.canonical_service': canonicalService, 'istio.canonical_revision': 'v1' } : {}) },
    })),
    dropped,
  }));

const nanosOf = ([s, ns]: readonly [number, number]): bigint => BigInt(s) * 1_000_000_000n + BigInt(ns);

interface OtlpJsonSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  traceState?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  status: { code: number };
  attributes: { key: string; value: Record<string, unknown> }[];
}
interface OtlpJsonRequest {
  resourceSpans: { resource: { attributes: { key: string; value: { stringValue?: string } }[] }; scopeSpans: { scope: { name: string }; spans: OtlpJsonSpan[] }[] }[];
}

describe('telemetry.otlp-span', () => {
  it('unix nanos become [seconds, nanoseconds] exactly, past 2^53 included (property)', () => {
    fc.assert(
      fc.property(nanos, (n) => {
        const [s, ns] = hrTimeOf(String(n));
        assert.ok(ns >= 0 && ns < 1e9 && Number.isInteger(s));
        assert.equal(nanosOf([s, ns]), n);
      }),
    );
  });

  it('each span keeps its ids, parent, name, kind, times, status, trace state and tags (property)', () => {
    fc.assert(
      fc.property(batch, (b) => {
        const out = readableSpansOf(b);
        assert.equal(out.length, b.spans.length);
        b.spans.forEach((s, i) => {
          const r = out[i];
          assert.ok(r !== undefined);
          const ctx = r.spanContext();
          assert.deepEqual([ctx.traceId, ctx.spanId, ctx.traceFlags], [s.traceId, s.spanId, 1]);
          assert.equal(r.parentSpanContext?.spanId, s.parentSpanId);
          assert.equal(ctx.traceState?.serialize(), s.traceState);
          assert.equal(r.name, s.name);
          assert.equal(r.kind, s.kind === 'server' ? SpanKind.SERVER : SpanKind.CLIENT);
          assert.equal(nanosOf(r.startTime), BigInt(s.startNanos));
          assert.equal(nanosOf(r.endTime), BigInt(s.endNanos));
          assert.equal(nanosOf(r.duration), BigInt(s.endNanos) - BigInt(s.startNanos));
          assert.equal(r.status.code, { unset: SpanStatusCode.UNSET, ok: SpanStatusCode.OK, error: SpanStatusCode.ERROR }[s.status]);
          for (const [k, v] of Object.entries(s.attributes)) assert.deepEqual(r.attributes[k], v, k);
          assert.equal(r.attributes['istio.source_workload'], s.source.workload);
          assert.equal(r.attributes['istio.destination_namespace'], s.destination.namespace);
          assert.equal(r.ended, true);
        });
      }),
    );
  });

  it('on the wire (the exporter\'s OTLP JSON) a batch is one resource named <canonical service>.<namespace>, with the same ids and nanos as sent (property)', () => {
    const decoder = new TextDecoder();
    fc.assert(
      fc.property(
        batch.filter((b) => b.spans.length > 0),
        (b) => {
          const bytes = JsonTraceSerializer.serializeRequest(readableSpansOf(b));
          assert.ok(bytes !== undefined);
          const request = JSON.parse(decoder.decode(bytes)) as OtlpJsonRequest;
          assert.equal(request.resourceSpans.length, 1, 'one proxy, one resource');
          const [resourceSpans] = request.resourceSpans;
          assert.ok(resourceSpans !== undefined);
          const resource = Object.fromEntries(resourceSpans.resource.attributes.map((a) => [a.key, a.value.stringValue]));
          const service = typeof b.spans[0]?.attributes['istio.canonical_service'] === 'string' ? b.spans[0].attributes['istio.canonical_service'] : b.workload.name;
          assert.equal(resource['service.name'], `${service}.${b.workload.namespace}`);
          assert.equal(resource['k8s.namespace.name'], b.workload.namespace);
          assert.equal(resource['k8s.workload.name'], b.workload.name);
          const sent = resourceSpans.scopeSpans.flatMap((ss) => ss.spans);
          assert.deepEqual(resourceSpans.scopeSpans.map((ss) => ss.scope.name), ['jetmesh-proxy']);
          assert.deepEqual(
            sent.map((s) => [s.traceId, s.spanId, s.parentSpanId ?? '', s.traceState ?? '', s.name, s.kind, s.startTimeUnixNano, s.endTimeUnixNano]),
            // OTLP's kinds: 2 SERVER, 3 CLIENT.
            b.spans.map((s) => [s.traceId, s.spanId, s.parentSpanId ?? '', s.traceState ?? '', s.name, s.kind === 'server' ? 2 : 3, s.startNanos, s.endNanos]),
          );
        },
      ),
      { numRuns: 50 },
    );
  });
});
