/**
 * How long a kill disturbed the message flow, read from the per-second timeline. Pure.
 * Resolution is one second (the generator's reporting interval).
 */
import type { TimelinePoint } from '../generator/coordinator.js';

export interface Recovery {
  /** acks per second and ack p99 in the 5 s before the kill */
  baselineAckedPerSec: number;
  baselineAckP99Ms: number;
  /** seconds after the kill with no ack at all */
  ackGapSec: number;
  /** from the kill to the first second back at ≥ 50% of the baseline rate and ack p99 ≤ max(2 × baseline, 100 ms) */
  recoverySec: number | null;
}

export function recovery(timeline: readonly TimelinePoint[], killAt: number): Recovery {
  const before = timeline.filter((p) => p.t >= killAt - 5 && p.t < killAt && p.ackedPerSec > 0);
  const rate = before.length ? before.reduce((a, p) => a + p.ackedPerSec, 0) / before.length : 0;
  const p99s = before.map((p) => p.ack.p99).sort((a, b) => a - b);
  const baseP99 = p99s[Math.floor(p99s.length / 2)] ?? 0;
  const limit = Math.max(2 * baseP99, 100);
  const ok = (p: TimelinePoint) => p.ackedPerSec >= 0.5 * rate && p.ack.p99 <= limit;
  const after = timeline.filter((p) => p.t > killAt).sort((a, b) => a.t - b.t);
  let gap = 0;
  let run = 0;
  for (const p of after) {
    run = p.ackedPerSec === 0 ? run + 1 : 0;
    gap = Math.max(gap, run);
  }
  const firstBad = after.findIndex((p) => !ok(p));
  let recoverySec: number | null = 0;
  if (firstBad >= 0) {
    const back = after.slice(firstBad).find(ok);
    recoverySec = back ? Math.round((back.t - killAt) * 10) / 10 : null;
  }
  return { baselineAckedPerSec: Math.round(rate), baselineAckP99Ms: baseP99, ackGapSec: gap, recoverySec };
}
