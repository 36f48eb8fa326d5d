/**
 * The shape of a benchmark report (loadtest/reports/<scenario>-<timestamp>.json), and the pure
 * steps that turn measured phases into its fields.
 */
import type { ConnectResult, GeneratorHealth, PhaseResult, TimelinePoint } from '../generator/coordinator.js';
import { cdf, type LatencySummary, summarize } from '../generator/latency.js';
import type { LedgerCounts } from '../generator/ledger.js';
import type { LoadParams } from '../params.js';
import type { HopBreakdown } from '../probes/hop-metrics.js';
import type { MachineInfo } from '../probes/machine.js';
import type { ProcessSample, ProcessUsage } from '../probes/process-sampler.js';
import type { DepthSample, QueueSnapshot } from '../probes/queue-depth.js';

export interface Correctness {
  sent: number;
  acked: number;
  unacked: number;
  delivered: number;
  expectedDeliveries: number;
  lost: number;
  duplicates: number;
  orderViolations: number;
}

/** One measured stretch at one rate against one system (a step of a search, or a whole smoke run). */
export interface StepResult extends Correctness {
  /** which system and configuration, e.g. `coffeechat P=16`, `socketio`, `uws` */
  system: string;
  /** target send rate, messages/s */
  rate: number;
  /** timeline seconds of the stretch (for the chart) */
  from: number;
  to: number;
  durationSec: number;
  /** messages acked per second of sending */
  messagesPerSec: number;
  /** deliveries per second of sending (every member connection counts) */
  throughput: number;
  latencyMs: LatencySummary;
  ackLatencyMs: LatencySummary;
  processes: ProcessUsage[];
  maxInboundQueueDepth: number | null;
  /** where the time went, from the services' metrics (CoffeeChat only) */
  hops: HopBreakdown | null;
  generator: GeneratorHealth;
  errors: Record<string, number>;
  /**
   * deliveries of this step's messages that arrived after its drain ended, and messages acked after it
   * (the run keeps listening until the queues are empty): late, not lost; `lost` and `unacked` are
   * what never arrived at all
   */
  late: number;
  lateAcks: number;
  /** within the p99 limit, nothing lost, late, duplicated or reordered, everything acked within the drain */
  good: boolean;
  /** everything acked and delivered exactly once, in order, and the generator kept up: the rate was carried (latency aside) */
  sustained: boolean;
  why: string[];
  cdf: { percentile: number; ms: number }[];
}

export interface TargetCheck {
  target: string;
  actual: string;
  met: boolean | null;
}

export interface Report extends Correctness {
  /** a bench scenario or a fault */
  scenario: string;
  params: LoadParams;
  machine: MachineInfo;
  startedAt: string;
  durationSec: number;
  /** delivered messages per second over the measured stretches */
  throughput: number;
  latencyMs: LatencySummary;
  ackLatencyMs: LatencySummary;
  processes: ProcessUsage[];
  gatewayBytesPerConnection: number | null;
  connect: ConnectResult | null;
  generator: GeneratorHealth & { warning: string | null };
  errors: Record<string, number>;
  retries: number;
  disconnects: number;
  steps: StepResult[];
  /** scenario-specific results (capacities, ratios, recovery time, …) */
  results: Record<string, unknown>;
  targets: TargetCheck[];
  passed: boolean;
  failures: string[];
  notes: string[];
  /** moments worth marking on the timeline (a kill, a restart), in timeline seconds */
  events: { t: number; label: string }[];
  timeline: TimelinePoint[];
  queueDepth: DepthSample[];
  queueSnapshots: QueueSnapshot[];
  processSeries: Record<string, ProcessSample[]>;
}

export function correctness(c: LedgerCounts): Correctness {
  return {
    sent: c.sent,
    acked: c.acked,
    unacked: c.unacked,
    delivered: c.delivered,
    expectedDeliveries: c.expectedDeliveries,
    lost: c.lost,
    duplicates: c.duplicates,
    orderViolations: c.orderViolations,
  };
}

export function sumCorrectness(items: readonly Correctness[]): Correctness {
  const out: Correctness = {
    sent: 0,
    acked: 0,
    unacked: 0,
    delivered: 0,
    expectedDeliveries: 0,
    lost: 0,
    duplicates: 0,
    orderViolations: 0,
  };
  for (const c of items) for (const k of Object.keys(out) as (keyof Correctness)[]) out[k] += c[k];
  return out;
}

/** Why a stretch is not good (empty when it is). */
export function judge(c: Correctness, latency: LatencySummary, p99LimitMs: number): string[] {
  const why: string[] = [];
  if (c.lost > 0) why.push(`${c.lost} deliveries lost`);
  if (c.unacked > 0) why.push(`${c.unacked} messages not acked by the end of the drain`);
  if (c.duplicates > 0) why.push(`${c.duplicates} duplicates`);
  if (c.orderViolations > 0) why.push(`${c.orderViolations} order violations`);
  if (latency.p99 > p99LimitMs) why.push(`p99 ${latency.p99} ms > ${p99LimitMs} ms`);
  if (c.sent === 0) why.push('nothing sent');
  return why;
}

export interface StepInput {
  system: string;
  rate: number;
  from: number;
  to: number;
  durationSec: number;
  phase: PhaseResult;
  processes: ProcessUsage[];
  maxInboundQueueDepth: number | null;
  hops?: HopBreakdown | null;
  generator: StepResult['generator'];
  p99LimitMs: number;
}

export function stepResult(i: StepInput): StepResult {
  const c = correctness(i.phase.counts);
  const latencyMs = summarize(i.phase.deliver);
  const why = judge(c, latencyMs, i.p99LimitMs);
  return {
    system: i.system,
    rate: i.rate,
    from: i.from,
    to: i.to,
    durationSec: i.durationSec,
    ...c,
    messagesPerSec: Math.round(c.acked / i.durationSec),
    throughput: Math.round(c.delivered / i.durationSec),
    latencyMs,
    ackLatencyMs: summarize(i.phase.ack),
    processes: i.processes,
    maxInboundQueueDepth: i.maxInboundQueueDepth,
    hops: i.hops ?? null,
    generator: i.generator,
    errors: i.phase.errors,
    late: 0,
    lateAcks: 0,
    good: why.length === 0,
    sustained: why.every((w) => w.startsWith('p99 ')),
    why,
    cdf: cdf(i.phase.deliver),
  };
}

/**
 * A step judged again with its messages' final counts, taken once the whole run has settled: what
 * arrived after the step's drain is `late` (and still fails the step), what never arrived is `lost`.
 */
export function settleStep(step: StepResult, final: LedgerCounts, p99LimitMs: number): StepResult {
  const late = Math.max(0, final.delivered - step.delivered);
  const lateAcks = Math.max(0, final.acked - step.acked);
  const c = { ...correctness(final), acked: step.acked, delivered: step.delivered };
  const why = judge(c, step.latencyMs, p99LimitMs);
  if (late > 0) why.unshift(`${late} deliveries late (after the drain)`);
  if (lateAcks > 0) why.unshift(`${lateAcks} messages acked after the drain`);
  const generatorBound = step.why.filter((w) => w.startsWith('generator saturated'));
  why.push(...generatorBound);
  return {
    ...step,
    lost: final.lost,
    unacked: final.unacked,
    duplicates: final.duplicates,
    orderViolations: final.orderViolations,
    late,
    lateAcks,
    why,
    good: why.length === 0,
    sustained: why.every((w) => w.startsWith('p99 ')),
  };
}

/** The last good step of a search (the capacity), or null when even the first failed. */
export function lastGood(steps: readonly StepResult[]): StepResult | null {
  let best: StepResult | null = null;
  for (const s of steps) {
    if (!s.good) break;
    best = s;
  }
  return best;
}

/** The highest-rate step that carried its rate without a correctness failure (latency aside). */
export function maxSustained(steps: readonly StepResult[]): StepResult | null {
  let best: StepResult | null = null;
  for (const s of steps) if (s.sustained && (!best || s.rate > best.rate)) best = s;
  return best;
}

/** The processes that used the most CPU in a stretch, busiest first. */
export function busiest(processes: readonly ProcessUsage[], n = 3): string {
  return [...processes]
    .sort((a, b) => b.cpuPct - a.cpuPct)
    .slice(0, n)
    .map((p) => `${p.name} ${p.cpuPct}%`)
    .join(', ');
}
