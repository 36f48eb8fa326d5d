import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { batchSizeHistogram, checkMetricShape, LATENCY_BUCKETS, latencyHistogram, secondsSince } from './metrics.js';

describe('domain metric helpers', () => {
  it('make histograms with the shared buckets', async () => {
    const registry = new Registry();
    const h = latencyHistogram({ name: 'coffeechat_test_hop_seconds', help: 'h', labelNames: ['hop'], registry });
    h.observe({ hop: 'store' }, 0.004);
    const text = await registry.metrics();
    expect(text).toContain('coffeechat_test_hop_seconds_bucket{le="0.005",hop="store"} 1');
    expect(text).toContain('coffeechat_test_hop_seconds_bucket{le="0.0025",hop="store"} 0');
    expect(LATENCY_BUCKETS.at(-1)).toBe(10);
    batchSizeHistogram({ name: 'coffeechat_test_batch_size', help: 'b', registry }).observe(3);
    expect(await registry.metrics()).toContain('coffeechat_test_batch_size_bucket{le="5"} 1');
  });

  it('refuse names outside coffeechat_* and labels that would carry ids', () => {
    expect(() => checkMetricShape('chat_latency_seconds')).toThrow(/coffeechat_/);
    for (const label of ['roomId', 'user_id', 'user', 'conn', 'post', 'session']) {
      expect(() => checkMetricShape('coffeechat_x_total', [label]), label).toThrow(/ids/);
    }
    expect(() => checkMetricShape('coffeechat_x_total', ['type', 'code', 'hop', 'queue', 'partition'])).not.toThrow();
    expect(() => latencyHistogram({ name: 'coffeechat_x_ms', help: 'x', registry: new Registry() })).toThrow(
      /_seconds/,
    );
  });

  it('secondsSince never goes negative (clocks of two hosts)', () => {
    expect(secondsSince(1000, 1250)).toBe(0.25);
    expect(secondsSince(2000, 1000)).toBe(0);
  });
});
