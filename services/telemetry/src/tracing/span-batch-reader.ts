import { decodeTraceSpanBatch, formatInvalid, type TraceSpanBatch } from '@jetmesh/model';

export type SpanBatchRejectReason = 'not_json' | 'invalid';
export const SPAN_BATCH_REJECT_REASONS: readonly SpanBatchRejectReason[] = ['not_json', 'invalid'];

export type SpanBatchRead = { readonly ok: true; readonly batch: TraceSpanBatch } | { readonly ok: false; readonly reason: SpanBatchRejectReason; readonly detail: string };

const decoder = new TextDecoder();
// Enough of the codec's problems to find the cause in a log line.
const SHOWN_PROBLEMS = 3;

/** A proxy's span batch off the wire, through the model's strict codec. */
export function readSpanBatch(data: Uint8Array | string): SpanBatchRead {
  let json: unknown;
  try {
    json = JSON.parse(typeof data === 'string' ? data : decoder.decode(data));
  } catch (err) {
    return { ok: false, reason: 'not_json', detail: (err as Error).message };
  }
  const decoded = decodeTraceSpanBatch(json);
  if (decoded._tag === 'Right') return { ok: true, batch: decoded.right };
  const shown = decoded.left.slice(0, SHOWN_PROBLEMS).map(formatInvalid).join('; ');
  const more = decoded.left.length > SHOWN_PROBLEMS ? ` (and ${decoded.left.length - SHOWN_PROBLEMS} more)` : '';
  return { ok: false, reason: 'invalid', detail: `${shown}${more}` };
}
