import { describe, expect, it } from 'vitest';
import type { TimelinePoint } from '../generator/coordinator.js';
import { recovery } from './recovery.js';

const point = (t: number, ackedPerSec: number, ackP99: number): TimelinePoint => {
  const lat = { count: ackedPerSec, p50: ackP99 / 2, p90: ackP99, p99: ackP99, p999: ackP99, max: ackP99 };
  return {
    t,
    sentPerSec: 100,
    ackedPerSec,
    deliveredPerSec: ackedPerSec * 4,
    deliver: lat,
    ack: lat,
    connected: 200,
    generatorCpuPct: 10,
    generatorLagP99Ms: 0,
  };
};

describe('recovery', () => {
  it('measures the gap and the time back to normal after a kill', () => {
    const timeline = [
      ...[5, 6, 7, 8, 9].map((t) => point(t, 100, 20)),
      point(10, 60, 30), // the kill lands at 9.5
      point(11, 0, 0),
      point(12, 0, 0),
      point(13, 250, 2500), // backlog flushed, still slow
      point(14, 100, 25),
      point(15, 100, 20),
    ];
    expect(recovery(timeline, 9.5)).toEqual({
      baselineAckedPerSec: 100,
      baselineAckP99Ms: 20,
      ackGapSec: 2,
      recoverySec: 4.5,
    });
  });

  it('reports no disturbance when every second after the kill is normal', () => {
    const timeline = [1, 2, 3, 4, 5, 6].map((t) => point(t, 100, 20));
    expect(recovery(timeline, 3.5).recoverySec).toBe(0);
  });

  it('reports null when the flow never comes back', () => {
    const timeline = [point(1, 100, 20), point(2, 100, 20), point(3, 0, 0), point(4, 0, 0)];
    expect(recovery(timeline, 2.5)).toMatchObject({ recoverySec: null, ackGapSec: 2 });
  });
});
