/** Turns the measurements of a scenario into its report. */
import { newHistogram, summarize } from '../generator/latency.js';
import type { MachineInfo } from '../probes/machine.js';
import { correctness, type Report, type StepResult, sumCorrectness, type TargetCheck } from '../report/report.js';
import type { BenchContext } from './context.js';
import type { Measurement } from './measure.js';

export interface Verdict {
  /** the step whose latency, throughput and process usage head the report */
  headline: StepResult | null;
  results: Record<string, unknown>;
  targets: TargetCheck[];
  failures: string[];
  notes: string[];
  events?: { t: number; label: string }[];
}

export function assemble(
  ctx: BenchContext,
  machine: MachineInfo,
  startedAt: Date,
  ms: readonly Measurement[],
  v: Verdict,
): Report {
  const steps = ms.flatMap((m) => m.steps);
  const errors: Record<string, number> = {};
  for (const m of ms) for (const [code, n] of Object.entries(m.total.errors)) errors[code] = (errors[code] ?? 0) + n;
  const sat = {
    maxCpuPct: Math.max(0, ...steps.map((s) => s.generator.maxCpuPct)),
    maxLagP99Ms: Math.max(0, ...steps.map((s) => s.generator.maxLagP99Ms)),
    saturatedSeconds: steps.reduce((a, s) => a + s.generator.saturatedSeconds, 0),
    starvedSeconds: steps.reduce((a, s) => a + s.generator.starvedSeconds, 0),
  };
  const warnings: string[] = [];
  if (sat.saturatedSeconds > 1) {
    warnings.push(
      `a generator worker was saturated for ${sat.saturatedSeconds} s (CPU up to ${sat.maxCpuPct}% of a core); the steps marked so measure the generator, not the server. Add --workers.`,
    );
  }
  if (sat.starvedSeconds > 1) {
    warnings.push(
      `the machine was oversubscribed for ${sat.starvedSeconds} s (generator event-loop lag p99 up to ${sat.maxLagP99Ms} ms while it used little CPU; load average ${machine.loadAvg1m} at the start): latencies include waiting for a CPU.`,
    );
  }
  const warning = warnings.length ? warnings.join(' ') : null;
  const headline = v.headline;
  const first = ms[0];
  const notes = [...v.notes];
  const databases = ms.flatMap((m) => (m.database ? [m.database] : []));
  if (databases.length) notes.push(`Store databases written by this run (left in place): ${databases.join(', ')}.`);
  if (headline)
    notes.unshift(
      `Latency, throughput and processes at the top of this report are of the headline step: ${headline.system} at ${headline.rate} messages/s.`,
    );
  return {
    scenario: ctx.scenario,
    params: ctx.params,
    machine,
    startedAt: startedAt.toISOString(),
    durationSec: Math.round(ctx.clock()),
    ...sumCorrectness(ms.map((m) => correctness(m.total.counts))),
    throughput: headline?.throughput ?? 0,
    latencyMs: headline?.latencyMs ?? summarize(first?.total.deliver ?? newHistogram()),
    ackLatencyMs: headline?.ackLatencyMs ?? summarize(first?.total.ack ?? newHistogram()),
    processes: headline?.processes ?? ctx.sampler.usage(),
    gatewayBytesPerConnection: first?.gatewayBytesPerConnection ?? null,
    connect: first?.connect ?? null,
    generator: { ...sat, warning },
    errors,
    retries: ms.reduce((a, m) => a + m.total.retries, 0),
    disconnects: ms.reduce((a, m) => a + m.total.disconnects, 0),
    steps,
    results: v.results,
    targets: v.targets,
    passed: v.failures.length === 0,
    failures: v.failures,
    notes,
    events: v.events ?? [],
    timeline: ms.flatMap((m) => m.generator.timeline()).sort((a, b) => a.t - b.t),
    queueDepth: ms.flatMap((m) => m.queues?.samples ?? []),
    queueSnapshots: ms.flatMap((m) => m.queues?.snapshots ?? []),
    processSeries: ctx.sampler.series(),
  };
}

/** Failures any run must report: lost, duplicated, reordered or never-acked messages. */
export function correctnessFailures(ms: readonly Measurement[]): string[] {
  const c = sumCorrectness(ms.map((m) => correctness(m.total.counts)));
  const out: string[] = [];
  if (c.lost) out.push(`${c.lost} deliveries lost`);
  if (c.duplicates) out.push(`${c.duplicates} duplicate deliveries`);
  if (c.orderViolations) out.push(`${c.orderViolations} order violations`);
  if (c.unacked) out.push(`${c.unacked} messages not acked by the end of the drain`);
  return out;
}
