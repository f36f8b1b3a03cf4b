import { Registry, collectDefaultMetrics } from 'prom-client';

/** A registry per service, so tests can run several services in one process without name clashes. */
export function createMetricsRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}
