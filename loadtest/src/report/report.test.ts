import { describe, expect, it } from 'vitest';
import { newHistogram, recordMs } from '../generator/latency.js';
import { emptyCounts } from '../generator/ledger.js';
import { busiest, judge, lastGood, type StepResult, settleStep, stepResult } from './report.js';
import { chart, nines } from './svg-chart.js';

const step = (rate: number, p99: number, lost = 0) => {
  const deliver = newHistogram();
  for (let i = 0; i < 100; i++) recordMs(deliver, i >= 98 ? p99 : 1);
  const counts = {
    ...emptyCounts(),
    sent: rate,
    acked: rate,
    expectedDeliveries: rate * 4,
    delivered: rate * 4 - lost,
    lost,
  };
  return stepResult({
    system: 'x',
    rate,
    from: 0,
    to: 1,
    durationSec: 1,
    phase: {
      counts,
      deliver,
      ack: newHistogram(),
      errors: {},
      retries: 0,
      disconnects: 0,
      connected: 0,
      anomalies: [],
    },
    processes: [],
    maxInboundQueueDepth: null,
    generator: { maxCpuPct: 0, maxLagP99Ms: 0, saturatedSeconds: 0, starvedSeconds: 0 },
    p99LimitMs: 100,
  });
};

describe('report', () => {
  it('judges a step by loss, acks, duplicates, order and p99', () => {
    const c = {
      sent: 1,
      acked: 1,
      unacked: 0,
      delivered: 4,
      expectedDeliveries: 4,
      lost: 0,
      duplicates: 0,
      orderViolations: 0,
    };
    const lat = { count: 4, p50: 1, p90: 1, p99: 1, p999: 1, max: 1 };
    expect(judge(c, lat, 100)).toEqual([]);
    expect(judge({ ...c, lost: 1 }, lat, 100)).toEqual(['1 deliveries lost']);
    expect(judge(c, { ...lat, p99: 101 }, 100)).toEqual(['p99 101 ms > 100 ms']);
  });

  it('takes the capacity from the last good step before the first bad one', () => {
    const steps: StepResult[] = [step(100, 5), step(200, 50), step(400, 500), step(800, 5)];
    expect(steps.map((s) => s.good)).toEqual([true, true, false, true]);
    expect(lastGood(steps)?.rate).toBe(200);
    expect(lastGood([step(100, 5, 1)])).toBeNull();
    expect(steps[0]?.throughput).toBe(400);
  });

  it('tells late deliveries (after the drain) from lost ones once the run settled', () => {
    const atDrain = step(100, 5, 10); // 10 deliveries missing when the step's drain ended
    expect(atDrain.why).toEqual(['10 deliveries lost']);
    const final = { ...emptyCounts(), sent: 100, acked: 100, expectedDeliveries: 400, delivered: 397, lost: 3 };
    const settled = settleStep(atDrain, final, 100);
    expect(settled).toMatchObject({ late: 7, lost: 3, lateAcks: 0, good: false, sustained: false });
    expect(settled.why).toEqual(['7 deliveries late (after the drain)', '3 deliveries lost']);
    expect(settled.delivered).toBe(390); // throughput stays what arrived within the step
    const allLate = settleStep(atDrain, { ...final, delivered: 400, lost: 0 }, 100);
    expect(allLate).toMatchObject({ late: 10, lost: 0, sustained: false });
    expect(settleStep(step(100, 5), { ...final, delivered: 400, lost: 0 }, 100)).toMatchObject({
      late: 0,
      good: true,
    });
  });

  it('names the busiest processes', () => {
    const p = (name: string, cpuPct: number) => ({
      name,
      pid: 1,
      cpuPct,
      maxCpuPct: cpuPct,
      rssBytes: 0,
      maxRssBytes: 0,
    });
    expect(busiest([p('a', 10), p('b', 90), p('c', 50)], 2)).toBe('b 90%, c 50%');
  });

  it('draws a well-formed SVG with one path per series', () => {
    const svg = chart('t <&>', [
      {
        title: 'over time',
        xLabel: 's',
        yLabel: 'ms',
        series: [
          {
            label: 'p99',
            points: [
              { x: 0, y: 1 },
              { x: 1, y: 10 },
            ],
          },
        ],
      },
      {
        title: 'cdf',
        xLabel: 'p',
        yLabel: 'ms',
        ninesX: true,
        series: [
          {
            label: 'a',
            points: [
              { x: nines(50), y: 1 },
              { x: nines(99.9), y: 30 },
            ],
          },
        ],
      },
    ]);
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('t &lt;&amp;&gt;');
    expect(svg.match(/<path /g)).toHaveLength(2);
    expect(nines(99)).toBeCloseTo(2);
  });
});

describe('maxSustained', () => {
  it('is the highest step that carried its rate, latency aside', async () => {
    const { maxSustained } = await import('./report.js');
    const steps = [step(100, 5), step(200, 500), step(400, 500, 3)];
    expect(steps.map((s) => [s.good, s.sustained])).toEqual([
      [true, true],
      [false, true],
      [false, false],
    ]);
    expect(maxSustained(steps)?.rate).toBe(200);
  });
});
