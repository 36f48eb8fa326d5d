/** What a rate search found, in the same words in every report that runs one (partitions, peers). */
import { busiest, lastGood, maxSustained, type StepResult } from '../report/report.js';

export interface SearchOutcome {
  /** the last good step: p99 within the limit, nothing lost */
  capacityMessagesPerSec: number;
  p99AtCapacityMs: number | null;
  /** the highest step carried, whatever its latency */
  maxSustainedMessagesPerSec: number;
  maxSustainedDeliveriesPerSec: number;
  p99AtMaxSustainedMs: number | null;
  /** the first step not carried, why, and the busiest processes then */
  limitedBy: string;
}

export function searchOutcome(steps: readonly StepResult[]): SearchOutcome {
  const good = lastGood(steps);
  const top = maxSustained(steps);
  const stop = steps.find((s) => !s.sustained);
  return {
    capacityMessagesPerSec: good?.rate ?? 0,
    p99AtCapacityMs: good?.latencyMs.p99 ?? null,
    maxSustainedMessagesPerSec: top?.rate ?? 0,
    maxSustainedDeliveriesPerSec: top?.throughput ?? 0,
    p99AtMaxSustainedMs: top?.latencyMs.p99 ?? null,
    limitedBy: stop
      ? `${stop.rate}/s: ${stop.why.join('; ')}; busiest: ${busiest(stop.processes)}`
      : 'top step still carried',
  };
}
