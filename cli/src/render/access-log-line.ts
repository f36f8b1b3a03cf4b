import type { AccessLogRecord } from '@jetmesh/model';

// A request path is attacker-chosen text: control characters (terminal escapes) are shown escaped.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
const printable = (s: string): string => s.replace(CONTROL, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);

const side = (namespace: string, workload: string): string => (workload === '-' ? '-' : `${namespace}/${workload}`);

/**
 * One request as `jetmesh logs` prints it:
 * `2026-12-02T10:00:00.123Z default/productpage-v1 → default/reviews-v2 GET /reviews/0 200 - 3.2ms reporter=source`
 * (flags `-` when none, as Envoy; a destination with no known workload shows its service).
 */
export function formatAccessLogLine(r: AccessLogRecord): string {
  const destination = r.destination_workload === '-' ? r.destination_service : side(r.destination_namespace, r.destination_workload);
  return [
    r.start_time,
    printable(side(r.source_namespace, r.source_workload)),
    '→',
    printable(destination),
    printable(r.method),
    printable(r.path),
    String(r.response_code),
    printable(r.response_flags),
    `${r.duration.toFixed(1)}ms`,
    `reporter=${r.reporter}`,
  ].join(' ');
}

/** Which requests `jetmesh logs` shows: `--workload` is either side's workload, `-n` either side's namespace (that workload's, with both). */
export interface AccessLogFilter {
  readonly workload?: string;
  readonly namespace?: string;
}

export function matchesAccessLogFilter(r: AccessLogRecord, f: AccessLogFilter): boolean {
  const sideMatches = (namespace: string, workload: string): boolean => (f.workload === undefined || workload === f.workload) && (f.namespace === undefined || namespace === f.namespace);
  return sideMatches(r.source_namespace, r.source_workload) || sideMatches(r.destination_namespace, r.destination_workload);
}
