import { IstioMetricsText } from '@jetmesh/model';
import type { IstioSeriesTable } from './istio-series-table.js';

export { PROMETHEUS_TEXT_CONTENT_TYPE } from '@jetmesh/model';

/*
 * Istio's standard metrics for /metrics, written from the series table at scrape time by the
 * model's IstioMetricsText (the proxy's /stats renders the same metrics from the same module).
 * Not prom-client's registry: every line carries Istio's 21 labels, and its formatting escapes
 * them again per line, which made a scrape of 400 series cost ~0.45 s of CPU.
 */
export class IstioExposition {
  private readonly writer = new IstioMetricsText();

  constructor(private readonly table: IstioSeriesTable) {}

  text(): string {
    return this.writer.text(this.table.values());
  }
}
