import { collectDefaultMetrics, Registry } from 'prom-client';

export interface Metrics {
  registry: Registry;
}

/**
 * A registry per service with the default Node metrics (GC pause histogram, event-loop lag, heap).
 * Domain metrics are named `coffeechat_*`, registered on `registry`, and never labelled by an id.
 */
export function createMetrics(service: string): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({
    register: registry,
    gcDurationBuckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
  });
  return { registry };
}
