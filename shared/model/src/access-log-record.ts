import type * as t from 'io-ts';
import { type Either } from 'fp-ts/lib/Either.js';
import { bool, decodeWith, enumOf, intRange, list, nonNegativeInt, num, refine, str, struct } from './codec/schema.js';
import type { Invalid } from './invalid.js';

/*
 * The access log of a proxy on the bus: what `jetmesh logs` shows. Each request a proxy carried
 * becomes one AccessLogRecord, in the field names of Envoy's default access log (the same object
 * the proxy writes to its own log as JSON, so one shape everywhere). A proxy publishes them in
 * small AccessLogBatches on core NATS `mesh.accesslog.<ns>.<workload>` (Subjects.accessLog):
 * live and best effort, like telemetry; nothing keeps them.
 */

/** The longest text field; Node refuses a request whose headers exceed 16 KiB by default. */
export const ACCESS_LOG_MAX_TEXT = 16_384;

export interface AccessLogRecord {
  /** When the request arrived, RFC 3339 (toISOString). */
  readonly start_time: string;
  readonly method: string;
  readonly path: string;
  /** `http` or `grpc`. */
  readonly protocol: string;
  /** 0 when no response was sent (Envoy's convention). */
  readonly response_code: number;
  readonly grpc_status?: number;
  /** Envoy's response flags, comma-separated (`UH`, `NR`, `URX,UF` …), `-` when none. */
  readonly response_flags: string;
  readonly bytes_received: number;
  readonly bytes_sent: number;
  /** Milliseconds. */
  readonly duration: number;
  /** `address:port` of the upstream, `-` when none was picked. */
  readonly upstream_host: string;
  readonly upstream_cluster: string;
  readonly route_name: string;
  readonly authority: string;
  readonly x_forwarded_for?: string;
  readonly user_agent?: string;
  readonly request_id?: string;
  readonly trace_id?: string;
  /** Which side wrote the line: the caller's proxy (`source`) or the callee's (`destination`). */
  readonly reporter: 'source' | 'destination';
  /** Workload names and namespaces; `-` when the proxy does not know (a caller outside the mesh). */
  readonly source_workload: string;
  readonly source_namespace: string;
  readonly destination_workload: string;
  readonly destination_namespace: string;
  /** The destination service host, fqdn, or `-`. */
  readonly destination_service: string;
  readonly mtls: boolean;
}

export interface AccessLogBatch {
  /** The reporting proxy. */
  readonly workload: { readonly namespace: string; readonly name: string };
  readonly records: readonly AccessLogRecord[];
  /**
   * Records this proxy gave up on since its previous batch (its buffer was full, or NATS was
   * away): the access log on the bus is sampled under pressure, never a reason to slow a request.
   */
  readonly dropped: number;
}

// RFC 3339 with a time zone, as `Date#toISOString` writes it.
const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;
const instant = refine(str, 'RFC3339Time', (v) => (RFC3339.test(v) && !Number.isNaN(Date.parse(v)) ? undefined : 'must be an RFC 3339 time (2025-01-01T00:00:00.000Z)'));
const text = refine(str, 'AccessLogText', (v) => (v.length > ACCESS_LOG_MAX_TEXT ? `must be at most ${ACCESS_LOG_MAX_TEXT} characters` : undefined));
const word = refine(text, 'AccessLogWord', (v) => (v === '' ? 'must not be empty (use "-")' : undefined));
const name = refine(str, 'WorkloadName', (v) => (v === '' ? 'must not be empty' : v.length > 253 ? 'must be at most 253 characters' : undefined));

export const AccessLogRecordCodec = struct(
  'AccessLogRecord',
  {
    start_time: instant,
    method: word,
    path: word,
    protocol: word,
    response_code: intRange(0, 999),
    response_flags: word,
    bytes_received: nonNegativeInt,
    bytes_sent: nonNegativeInt,
    duration: refine(num, 'DurationMs', (n) => (n < 0 ? 'must be >= 0' : undefined)),
    upstream_host: word,
    upstream_cluster: word,
    route_name: word,
    authority: text,
    reporter: enumOf('Reporter', ['source', 'destination'] as const),
    source_workload: word,
    source_namespace: word,
    destination_workload: word,
    destination_namespace: word,
    destination_service: word,
    mtls: bool,
  },
  {
    grpc_status: nonNegativeInt,
    x_forwarded_for: text,
    user_agent: text,
    request_id: word,
    trace_id: word,
  },
) as unknown as t.Type<AccessLogRecord, unknown, unknown>;

export const AccessLogBatchCodec = struct(
  'AccessLogBatch',
  {
    workload: struct('AccessLogWorkload', { namespace: name, name }, {}),
    records: list(AccessLogRecordCodec),
    dropped: nonNegativeInt,
  },
  {},
) as unknown as t.Type<AccessLogBatch, unknown, unknown>;

/** Reads a batch off the wire (strict: unknown fields, a wrong type or range are refused, every problem with its path). */
export const decodeAccessLogBatch = (u: unknown): Either<Invalid[], AccessLogBatch> => decodeWith(AccessLogBatchCodec, u);
export const decodeAccessLogRecord = (u: unknown): Either<Invalid[], AccessLogRecord> => decodeWith(AccessLogRecordCodec, u);
