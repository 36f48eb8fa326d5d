import { parsePrometheusText } from '@coffeechat/testkit';
import { describe, expect, it } from 'vitest';
import { countersOf, hopBreakdown } from './hop-metrics.js';

/** A router's metrics with `count` inbound-queue observations: 90 % in the first bucket, the rest in the third. */
const router = (queueSum: number, count: number) =>
  parsePrometheusText(
    [
      `coffeechat_hop_latency_seconds_bucket{hop="inbound_queue",le="0.001"} ${count * 0.9}`,
      `coffeechat_hop_latency_seconds_bucket{hop="inbound_queue",le="0.005"} ${count * 0.9}`,
      `coffeechat_hop_latency_seconds_bucket{hop="inbound_queue",le="0.01"} ${count}`,
      `coffeechat_hop_latency_seconds_bucket{hop="inbound_queue",le="+Inf"} ${count}`,
      `coffeechat_hop_latency_seconds_sum{hop="inbound_queue"} ${queueSum}`,
      `coffeechat_hop_latency_seconds_count{hop="inbound_queue"} ${count}`,
      `coffeechat_router_store_latency_seconds_sum ${queueSum / 2}`,
      `coffeechat_router_store_latency_seconds_count ${count / 10}`,
      `coffeechat_router_batch_size_sum ${count}`,
      `coffeechat_router_batch_size_count ${count / 10}`,
    ].join('\n'),
  );

describe('hop metrics', () => {
  it('gives the mean and the bucket-interpolated p50 and p99 of each hop between two readings, over processes', () => {
    const before = countersOf([router(1, 100), router(0, 0)], []);
    const after = countersOf([router(3, 200), router(1, 100)], []);
    const hops = hopBreakdown(before, after);
    // 200 new observations: 180 at ≤ 1 ms, 20 in (5, 10] ms
    expect(hops.inboundQueue).toEqual({ mean: 15, p50: 0.56, p99: 9.5 });
    expect(hops.storeBatch?.mean).toBe(75);
    expect(hops.batchSize?.mean).toBe(10);
    expect(hops.delivery).toBeNull();
    expect(hops.gatewaySendToAck).toBeNull();
  });

  it('gives null when a process restarted (counters went back)', () => {
    expect(hopBreakdown(countersOf([router(5, 100)], []), countersOf([router(1, 120)], [])).inboundQueue).toBeNull();
  });
});
