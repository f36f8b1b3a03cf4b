import { ISTIO_BYTE_BUCKETS, ISTIO_DURATION_BUCKETS_MS, ISTIO_REQUEST_LABELS, UNKNOWN_LABEL, type IstioRequestLabels, type TelemetrySeries, type WindowHistogram } from '@jetmesh/model';

/** A histogram since start: `cumulative[i]` = observations <= bound i (Prometheus `le`), the last one `+Inf`. */
export interface CumulativeHistogram {
  readonly cumulative: number[];
  sum: number;
}

/** One Istio series since this replica started: the values of istio_requests_total and the three histograms. */
export interface IstioSeries {
  readonly labels: IstioRequestLabels;
  requests: number;
  readonly durationMs: CumulativeHistogram;
  readonly requestBytes: CumulativeHistogram;
  readonly responseBytes: CumulativeHistogram;
}

const emptyHistogram = (bounds: readonly number[]): CumulativeHistogram => ({ cumulative: new Array<number>(bounds.length + 1).fill(0), sum: 0 });

// A window's per-bucket counts become a running total added to every `le` at or above them.
const addWindow = (h: CumulativeHistogram, w: WindowHistogram): void => {
  let running = 0;
  const c = h.cumulative;
  for (let i = 0; i < c.length; i++) {
    running += w.counts[i] ?? 0;
    c[i] = (c[i] ?? 0) + running;
  }
  h.sum += w.sum;
};

/** Every label Istio names, in Istio's order; a missing or empty value is `unknown`, as in Istio. */
export function istioLabels(labels: Partial<Record<string, string>>): IstioRequestLabels {
  const out: Record<string, string> = {};
  for (const name of ISTIO_REQUEST_LABELS) {
    const v = labels[name];
    out[name] = v === undefined || v === '' ? UNKNOWN_LABEL : v;
  }
  return out as IstioRequestLabels;
}

// The same normalisation as istioLabels, so `""` and `unknown` are one series.
const keyOf = (labels: Partial<Record<string, string>>): string => {
  let key = '';
  for (const name of ISTIO_REQUEST_LABELS) {
    const v = labels[name];
    key += `${v === undefined || v === '' ? UNKNOWN_LABEL : v}\u0001`;
  }
  return key;
};

/**
 * Istio's series since start, one per label set: windows add to them, nothing is ever
 * subtracted, so every value only grows (what a Prometheus counter and histogram promise).
 * At most `maxSeries` label sets: a window of a new label set past it is refused (the caller
 * counts its requests as overflow), label sets already held keep counting.
 */
export class IstioSeriesTable {
  private readonly byKey = new Map<string, IstioSeries>();

  constructor(private readonly maxSeries: number) {}

  get size(): number {
    return this.byKey.size;
  }

  values(): IterableIterator<IstioSeries> {
    return this.byKey.values();
  }

  /** The series `window` was added to, or undefined when the cap refused a new label set. */
  add(window: TelemetrySeries): IstioSeries | undefined {
    const key = keyOf(window.labels);
    let s = this.byKey.get(key);
    if (s === undefined) {
      if (this.byKey.size >= this.maxSeries) return undefined;
      s = { labels: istioLabels(window.labels), requests: 0, durationMs: emptyHistogram(ISTIO_DURATION_BUCKETS_MS), requestBytes: emptyHistogram(ISTIO_BYTE_BUCKETS), responseBytes: emptyHistogram(ISTIO_BYTE_BUCKETS) };
      this.byKey.set(key, s);
    }
    s.requests += window.requests;
    addWindow(s.durationMs, window.durationMs);
    addWindow(s.requestBytes, window.requestBytes);
    addWindow(s.responseBytes, window.responseBytes);
    return s;
  }
}
