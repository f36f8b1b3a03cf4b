import { SpanKind, SpanStatusCode, TraceFlags, type Attributes, type HrTime, type SpanContext } from '@opentelemetry/api';
import { TraceState } from '@opentelemetry/core';
import { resourceFromAttributes, type Resource } from '@opentelemetry/resources';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { UNKNOWN_LABEL, type TraceSpan, type TraceSpanBatch } from '@jetmesh/model';

/*
 * A proxy's TraceSpans as the OTel SDK's ReadableSpans, the shape its OTLP exporter takes. Pure:
 * no clock, no I/O; the spans were finished by the proxy, the exporter only encodes them.
 */

/** The OTLP instrumentation scope: the proxy made these spans, as Envoy's are scoped to Envoy. */
export const PROXY_INSTRUMENTATION_SCOPE = { name: 'jetmesh-proxy' } as const;

const NANOS_PER_SECOND = 1_000_000_000n;

/** Decimal unix nanoseconds as OTel's [seconds, nanoseconds], exactly (a double would round the nanoseconds). */
export function hrTimeOf(nanos: string): HrTime {
  const n = BigInt(nanos);
  return [Number(n / NANOS_PER_SECOND), Number(n % NANOS_PER_SECOND)];
}

const kinds: Record<TraceSpan['kind'], SpanKind> = { server: SpanKind.SERVER, client: SpanKind.CLIENT };
const statuses: Record<TraceSpan['status'], SpanStatusCode> = { unset: SpanStatusCode.UNSET, ok: SpanStatusCode.OK, error: SpanStatusCode.ERROR };

const text = (v: string | number | boolean | undefined): string | undefined => (typeof v === 'string' && v !== '' && v !== UNKNOWN_LABEL ? v : undefined);

/**
 * The resource of the proxy that reported `span`. service.name follows Istio's default
 * (`APP_LABEL_AND_NAMESPACE`): `<canonical service>.<namespace>`, the workload's name when the
 * proxy has no canonical service.
 */
export function resourceAttributesOf(batch: TraceSpanBatch, span: TraceSpan): Attributes {
  const namespace = text(span.attributes['istio.namespace']) ?? batch.workload.namespace;
  const canonicalService = text(span.attributes['istio.canonical_service']) ?? batch.workload.name;
  const revision = text(span.attributes['istio.canonical_revision']);
  const meshId = text(span.attributes['istio.mesh_id']);
  return {
    'service.name': `${canonicalService}.${namespace}`,
    'service.namespace': namespace,
    ...(revision !== undefined ? { 'service.version': revision } : {}),
    'k8s.namespace.name': batch.workload.namespace,
    'k8s.workload.name': batch.workload.name,
    'istio.canonical_service': canonicalService,
    ...(revision !== undefined ? { 'istio.canonical_revision': revision } : {}),
    ...(meshId !== undefined ? { 'istio.mesh_id': meshId } : {}),
  };
}

/** The span's own attributes: the proxy's tags, and which workloads it went between. */
export function spanAttributesOf(span: TraceSpan): Attributes {
  return {
    ...span.attributes,
    'istio.source_workload': span.source.workload,
    'istio.source_namespace': span.source.namespace,
    'istio.destination_workload': span.destination.workload,
    'istio.destination_namespace': span.destination.namespace,
  };
}

/**
 * Every span of a batch as a ReadableSpan. Spans that share a resource share one Resource object:
 * the exporter groups by object, so a batch from one proxy is one OTLP ResourceSpans.
 */
export function readableSpansOf(batch: TraceSpanBatch): ReadableSpan[] {
  const resources = new Map<string, Resource>();
  const resourceOf = (span: TraceSpan): Resource => {
    const attributes = resourceAttributesOf(batch, span);
    const key = JSON.stringify(attributes);
    let resource = resources.get(key);
    if (resource === undefined) {
      resource = resourceFromAttributes(attributes);
      resources.set(key, resource);
    }
    return resource;
  };
  return batch.spans.map((span) => readableSpanOf(span, resourceOf(span)));
}

export function readableSpanOf(span: TraceSpan, resource: Resource): ReadableSpan {
  const context: SpanContext = {
    traceId: span.traceId,
    spanId: span.spanId,
    // Only sampled spans are reported.
    traceFlags: TraceFlags.SAMPLED,
    ...(span.traceState !== undefined ? { traceState: new TraceState(span.traceState) } : {}),
  };
  const startNanos = BigInt(span.startNanos);
  const endNanos = BigInt(span.endNanos);
  return {
    name: span.name,
    kind: kinds[span.kind],
    spanContext: () => context,
    // The parent ran in another process (the caller, or the app that forwarded the context).
    ...(span.parentSpanId !== undefined ? { parentSpanContext: { traceId: span.traceId, spanId: span.parentSpanId, traceFlags: TraceFlags.SAMPLED, isRemote: true } } : {}),
    startTime: hrTimeOf(span.startNanos),
    endTime: hrTimeOf(span.endNanos),
    duration: hrTimeOf(String(endNanos - startNanos)),
    status: { code: statuses[span.status] },
    attributes: spanAttributesOf(span),
    links: [],
    events: [],
    ended: true,
    resource,
    instrumentationScope: PROXY_INSTRUMENTATION_SCOPE,
    droppedAttributesCount: 0,
    droppedEventsCount: 0,
    droppedLinksCount: 0,
  };
}
