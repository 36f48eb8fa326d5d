import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';

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

/**
 * `coffeechat_ready`: 1 while `ready()` holds (what `/readyz` answers), read at scrape time, so alerts can
 * see a service that is not ready or keeps flapping. Registered once per registry.
 */
export function registerReadiness({ registry }: Metrics, ready: () => boolean): void {
  if (registry.getSingleMetric('coffeechat_ready')) return;
  registry.registerMetric(
    new Gauge({
      name: 'coffeechat_ready',
      help: '1 while the service is ready (its broker, store and cache connections are up), else 0',
      registers: [],
      collect() {
        this.set(ready() ? 1 : 0);
      },
    }),
  );
}
