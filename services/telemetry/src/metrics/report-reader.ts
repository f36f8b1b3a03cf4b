import { COMPACT_REPORT_FORMAT, decodeTelemetryReportWire, formatInvalid, type TelemetryReport } from '@jetmesh/model';
import type { RejectReason } from './report-fold.js';

export type ReadResult = { readonly ok: true; readonly report: TelemetryReport } | { readonly ok: false; readonly reason: RejectReason; readonly detail: string };

const decoder = new TextDecoder();
// Enough of the codec's problems to find the cause in a log line.
const SHOWN_PROBLEMS = 3;

/** A report off the wire, in either format (the model's decodeTelemetryReportWire), through its format's strict codec. */
export function readReport(data: Uint8Array | string): ReadResult {
  let json: unknown;
  try {
    json = JSON.parse(typeof data === 'string' ? data : decoder.decode(data));
  } catch (err) {
    return { ok: false, reason: 'not_json', detail: (err as Error).message };
  }
  const decoded = decodeTelemetryReportWire(json);
  if (decoded._tag === 'Right') return { ok: true, report: decoded.right };
  const refusal = decoded.left;
  if (refusal.reason === 'unsupported_format') {
    return { ok: false, reason: 'unsupported_format', detail: `format ${JSON.stringify(refusal.format)}: this replica reads format 1 (no "format" field) and format ${COMPACT_REPORT_FORMAT}` };
  }
  const problems = refusal.problems;
  const shown = problems.slice(0, SHOWN_PROBLEMS).map(formatInvalid).join('; ');
  const more = problems.length > SHOWN_PROBLEMS ? ` (and ${problems.length - SHOWN_PROBLEMS} more)` : '';
  return { ok: false, reason: 'invalid', detail: `${shown}${more}` };
}
