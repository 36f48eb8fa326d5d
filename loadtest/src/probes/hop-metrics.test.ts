import { parsePrometheusText } from '@coffeechat/testkit';
import { describe, expect, it } from 'vitest';
import { countersOf, hopBreakdown } from './hop-metrics.js';

const router = (queueSum: number, count: number) =>
  parsePrometheusText(
    [
      `coffeechat_hop_latency_seconds_sum{hop="inbound_queue"} ${queueSum}`,
      `coffeechat_hop_latency_seconds_count{hop="inbound_queue"} ${count}`,
      `coffeechat_router_store_latency_seconds_sum ${queueSum / 2}`,
      `coffeechat_router_store_latency_seconds_count ${count / 10}`,
      `coffeechat_router_batch_size_sum ${count}`,
      `coffeechat_router_batch_size_count ${count / 10}`,
    ].join('\n'),
  );

describe('hop metrics', () => {
  it('gives the mean of each hop between two readings, summed over processes', () => {
    const before = countersOf([router(1, 100), router(0, 0)], []);
    const after = countersOf([router(3, 200), router(1, 100)], []);
    expect(hopBreakdown(before, after)).toEqual({
      inboundQueueMs: 15, // (3 s) / 200 observations
      storeBatchMs: 75,
      batchSize: 10,
      deliveryMs: null,
      gatewaySendToAckMs: null,
    });
  });

  it('gives null when a process restarted (counters went back)', () => {
    expect(hopBreakdown(countersOf([router(5, 100)], []), countersOf([router(1, 120)], [])).inboundQueueMs).toBeNull();
  });
});
