import type { Registry } from 'prom-client';
import { istioRegistryMetrics, newIstioRequestSeries, observeIstioRequest, type IstioRequestLabels, type IstioRequestSeries } from '@jetmesh/model';
import { measure } from './request-record.js';

/*
 * Istio's four per-request metrics on /stats, counted per series under one key the caller
 * builds once per request; the counting and the metric objects are the model's
 * (istio-request-metrics.ts), the same the telemetry service exports.
 */
export class IstioRequestMetrics {
  private series = new Map<string, IstioRequestSeries>();

  constructor(registry: Registry) {
    // The Registry renders any object of this shape; its typings only name its own classes.
    for (const m of istioRegistryMetrics(() => this.series.values(), () => this.reset())) registry.registerMetric(m as unknown as Parameters<Registry['registerMetric']>[0]);
  }

  /** One request of the series `key` (a string naming `labels` one to one). */
  record(key: string, labels: IstioRequestLabels, durationMs: number, requestBytes: number, responseBytes: number): void {
    let s = this.series.get(key);
    if (s === undefined) {
      s = newIstioRequestSeries(labels);
      this.series.set(key, s);
    }
    observeIstioRequest(s, measure(durationMs), measure(requestBytes), measure(responseBytes));
  }

  reset(): void {
    this.series = new Map();
  }
}
