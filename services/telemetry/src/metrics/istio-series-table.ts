import { ISTIO_REQUEST_LABELS, UNKNOWN_LABEL, addIstioWindow, newIstioRequestSeries, type IstioRequestLabels, type IstioRequestSeries, type TelemetrySeries } from '@jetmesh/model';

/** One Istio series since this replica started (the model's, shared with the proxy's /stats). */
export type IstioSeries = IstioRequestSeries;

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
      s = newIstioRequestSeries(istioLabels(window.labels));
      this.byKey.set(key, s);
    }
    addIstioWindow(s, window);
    return s;
  }
}
