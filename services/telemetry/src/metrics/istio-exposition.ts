import { ISTIO_BYTE_BUCKETS, ISTIO_DURATION_BUCKETS_MS, ISTIO_REQUEST_LABELS } from '@jetmesh/model';
import type { CumulativeHistogram, IstioSeries, IstioSeriesTable } from './istio-series-table.js';

/*
 * Istio's standard metrics in Prometheus' text format (0.0.4), written from the series table at
 * scrape time. Not prom-client's Counter/Histogram: they only take single observations, and a
 * report brings a window's totals and bucket counts. Not prom-client's registry formatting either:
 * every line carries Istio's 21 labels, and escaping them again for each of a series' ~70 lines
 * made a scrape of 400 series cost ~0.45 s of CPU (~70 ms now); a series' label text is written once, when it first
 * appears, and a scrape only joins strings.
 */

export const PROMETHEUS_TEXT_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const escapeLabelValue = (v: string): string => v.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

/** `reporter="source",…` in Istio's label order. */
export function labelText(s: IstioSeries): string {
  return ISTIO_REQUEST_LABELS.map((l) => `${l}="${escapeLabelValue(s.labels[l])}"`).join(',');
}

interface HistogramSpec {
  readonly name: string;
  readonly help: string;
  readonly le: readonly string[];
  readonly pick: (s: IstioSeries) => CumulativeHistogram;
}

const les = (bounds: readonly number[]): string[] => [...bounds.map((b) => `,le="${b}"}`), ',le="+Inf"}'];

const REQUESTS = { name: 'istio_requests_total', help: 'Requests, counted by the proxies (reporter source and destination)' };
const HISTOGRAMS: readonly HistogramSpec[] = [
  { name: 'istio_request_duration_milliseconds', help: 'Request duration in milliseconds', le: les(ISTIO_DURATION_BUCKETS_MS), pick: (s) => s.durationMs },
  { name: 'istio_request_bytes', help: 'Request body sizes in bytes', le: les(ISTIO_BYTE_BUCKETS), pick: (s) => s.requestBytes },
  { name: 'istio_response_bytes', help: 'Response body sizes in bytes', le: les(ISTIO_BYTE_BUCKETS), pick: (s) => s.responseBytes },
];

/** Writes the table's series as istio_requests_total and the three histograms, with Istio's names, types, buckets and labels (and no others). */
export class IstioExposition {
  private readonly labels = new WeakMap<IstioSeries, string>();

  constructor(private readonly table: IstioSeriesTable) {}

  private labelsOf(s: IstioSeries): string {
    let text = this.labels.get(s);
    if (text === undefined) {
      text = labelText(s);
      this.labels.set(s, text);
    }
    return text;
  }

  text(): string {
    const series = [...this.table.values()];
    const texts = series.map((s) => this.labelsOf(s));
    const out: string[] = [`# HELP ${REQUESTS.name} ${REQUESTS.help}`, `# TYPE ${REQUESTS.name} counter`];
    for (let i = 0; i < series.length; i++) out.push(`${REQUESTS.name}{${texts[i]}} ${series[i]!.requests}`);
    for (const h of HISTOGRAMS) {
      out.push(`# HELP ${h.name} ${h.help}`, `# TYPE ${h.name} histogram`);
      for (let i = 0; i < series.length; i++) {
        const s = series[i]!;
        const labels = texts[i]!;
        const { cumulative, sum } = h.pick(s);
        const bucket = `${h.name}_bucket{${labels}`;
        for (let b = 0; b < h.le.length; b++) out.push(`${bucket}${h.le[b]} ${cumulative[b] ?? 0}`);
        out.push(`${h.name}_sum{${labels}} ${sum}`, `${h.name}_count{${labels}} ${cumulative[h.le.length - 1] ?? 0}`);
      }
    }
    out.push('');
    return out.join('\n');
  }
}
