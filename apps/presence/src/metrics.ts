/**
 * Presence metrics (`coffeechat_presence_*`). The online and connection gauges read the shared Redis
 * state at scrape time, so every replica reports the same cluster-wide value: aggregate with `max`,
 * not `sum`.
 */
import type { Metrics } from '@coffeechat/service-kit';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { PresenceCounts } from './redis/replies.js';

export function createPresenceMetrics({ registry }: Metrics, counts: () => Promise<PresenceCounts>) {
  let last: Promise<PresenceCounts> | undefined;
  // Both gauges are collected in one scrape; read Redis once for the pair.
  const read = () => {
    last ??= counts().finally(() => setTimeout(() => (last = undefined), 100).unref());
    return last;
  };
  return {
    onlineUsers: new Gauge({
      name: 'coffeechat_presence_online_users',
      help: 'users with at least one open connection (or within their reconnect grace period)',
      registers: [registry],
      async collect() {
        this.set((await read().catch(() => ({ onlineUsers: Number.NaN }))).onlineUsers);
      },
    }),
    connections: new Gauge({
      name: 'coffeechat_presence_connections',
      help: 'open connections known to presence, across all gateways',
      registers: [registry],
      async collect() {
        this.set((await read().catch(() => ({ connections: Number.NaN }))).connections);
      },
    }),
    gateways: new Gauge({
      name: 'coffeechat_presence_gateways',
      help: 'gateways presence tracks (alive, or dead and not swept yet)',
      registers: [registry],
      async collect() {
        this.set((await read().catch(() => ({ gateways: Number.NaN }))).gateways);
      },
    }),
    heartbeatBatchSize: new Histogram({
      name: 'coffeechat_presence_heartbeat_batch_size',
      help: 'connections listed in one gateway heartbeat',
      buckets: [1, 10, 100, 1000, 5000, 10_000, 20_000],
      registers: [registry],
    }),
    heartbeatApplySeconds: new Histogram({
      name: 'coffeechat_presence_heartbeat_apply_seconds',
      help: 'time to apply one heartbeat batch to Redis (one script call)',
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    heartbeatsStale: new Counter({
      name: 'coffeechat_presence_heartbeats_stale_total',
      help: 'heartbeats dropped because they were older than the TTL when applied',
      registers: [registry],
    }),
    sweepLagSeconds: new Histogram({
      name: 'coffeechat_presence_sweep_lag_seconds',
      help: 'how late an expired connection or a due offline was handled after its deadline',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10],
      registers: [registry],
    }),
    events: new Counter({
      name: 'coffeechat_presence_events_total',
      help: 'connection events and heartbeats consumed from gateways',
      labelNames: ['kind'] as const,
      registers: [registry],
    }),
    transitions: new Counter({
      name: 'coffeechat_presence_transitions_published_total',
      help: 'online/offline changes published to gateways',
      labelNames: ['status'] as const,
      registers: [registry],
    }),
    deadLetters: new Counter({
      name: 'coffeechat_presence_dead_letters_total',
      help: 'malformed broker messages rejected to the dead-letter queue',
      labelNames: ['queue'] as const,
      registers: [registry],
    }),
    queries: new Counter({
      name: 'coffeechat_presence_queries_total',
      help: 'presence lookups served',
      labelNames: ['via'] as const,
      registers: [registry],
    }),
  };
}
export type PresenceMetrics = ReturnType<typeof createPresenceMetrics>;
