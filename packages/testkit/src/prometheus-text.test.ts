import { describe, expect, it } from 'vitest';
import { idLabels, parsePrometheusText, sampleSum } from './prometheus-text.js';

const page = `# HELP coffeechat_gateway_frames_in_total frames
# TYPE coffeechat_gateway_frames_in_total counter
coffeechat_gateway_frames_in_total{type="send",service="gateway"} 3
coffeechat_gateway_frames_in_total{type="join",service="gateway"} 2
coffeechat_x_seconds_bucket{le="+Inf",hop="a \\"quoted\\" one"} 7 1700000000000
nodejs_heap_size_total_bytes 123456
coffeechat_bad{user="u-1"} 1
coffeechat_worse{queue="0f3d07583427bbfa0f3d0758"} 1
`;

describe('parsePrometheusText', () => {
  it('reads names, labels (escapes included) and values', () => {
    const samples = parsePrometheusText(page);
    expect(samples[0]).toEqual({
      name: 'coffeechat_gateway_frames_in_total',
      labels: { type: 'send', service: 'gateway' },
      value: 3,
    });
    expect(samples[2]?.labels).toEqual({ le: '+Inf', hop: 'a "quoted" one' });
    expect(samples[3]).toEqual({ name: 'nodejs_heap_size_total_bytes', labels: {}, value: 123456 });
    expect(sampleSum(samples, 'coffeechat_gateway_frames_in_total')).toBe(5);
    expect(sampleSum(samples, 'coffeechat_gateway_frames_in_total', { type: 'join' })).toBe(2);
  });

  it('finds labels that carry known ids or id-shaped values', () => {
    expect(idLabels(parsePrometheusText(page), ['u-1'])).toEqual([
      'coffeechat_bad{user="u-1"}',
      'coffeechat_worse{queue="0f3d07583427bbfa0f3d0758"}',
    ]);
  });
});
