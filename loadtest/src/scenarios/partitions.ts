/**
 * partitions: the V2 experiment. Many rooms send at once; the same rate search runs against a stack
 * with ROUTER_PARTITIONS=1 and one with 16, in one invocation, and the maximum sustainable
 * throughput and p99 of both are set side by side.
 */
import type { MachineInfo } from '../probes/machine.js';
import { busiest, lastGood, maxSustained, type Report, type StepResult } from '../report/report.js';
import { assemble } from './assemble.js';
import type { BenchContext } from './context.js';
import { type Measurement, measure } from './measure.js';
import { startCoffeeChat } from './systems.js';

export const PARTITION_COUNTS = [1, 16] as const;

function side(steps: StepResult[]) {
  const good = lastGood(steps);
  const top = maxSustained(steps);
  const stop = steps.find((s) => !s.sustained);
  return {
    maxSustainedMessagesPerSec: top?.rate ?? 0,
    maxSustainedDeliveriesPerSec: top?.throughput ?? 0,
    p99AtMaxSustainedMs: top?.latencyMs.p99 ?? null,
    capacityAtP99LimitMessagesPerSec: good?.rate ?? 0,
    p99AtCapacityMs: good?.latencyMs.p99 ?? null,
    limitedBy: stop
      ? `${stop.rate}/s: ${stop.why.join('; ')}; busiest: ${busiest(stop.processes)}`
      : 'top step still carried',
  };
}

export async function partitions(ctx: BenchContext, machine: MachineInfo): Promise<Report> {
  const p = ctx.params;
  const ms: Measurement[] = [];
  for (const partitionCount of PARTITION_COUNTS) {
    const sut = await startCoffeeChat(ctx, { gateways: p.gateways, routers: p.routers, partitions: partitionCount });
    try {
      ms.push(
        await measure(ctx, sut, {
          steps: p.steps.map((rate) => ({ rate, durationSec: p.durationSec })),
          stopOnBad: true,
        }),
      );
    } finally {
      await sut.stop();
    }
  }
  const [one, sixteen] = ms.map((m) => side(m.steps));
  const ratio =
    one && sixteen && one.maxSustainedMessagesPerSec > 0
      ? Math.round((sixteen.maxSustainedMessagesPerSec / one.maxSustainedMessagesPerSec) * 100) / 100
      : null;
  // p99 at the highest rate both carried: the "equal load" comparison
  const carriedByOne = new Set(ms[0]?.steps.filter((s) => s.sustained).map((s) => s.rate) ?? []);
  const shared = (ms[1]?.steps ?? []).filter((s) => s.sustained && carriedByOne.has(s.rate)).at(-1);
  const sharedOne = shared ? ms[0]?.steps.find((s) => s.rate === shared.rate) : undefined;
  return assemble(ctx, machine, new Date(ctx.origin), ms, {
    headline: maxSustained(ms[1]?.steps ?? []),
    results: {
      'P=1': one,
      'P=16': sixteen,
      throughputRatio16to1: ratio,
      p99AtEqualRate:
        shared && sharedOne
          ? { rate: shared.rate, 'P=1': sharedOne.latencyMs.p99, 'P=16': shared.latencyMs.p99 }
          : null,
    },
    targets: [
      {
        target: '16 partitions ≥ 2× the throughput of 1 at equal p99',
        actual:
          ratio === null
            ? 'P=1 sustained no step'
            : `${ratio}× (${sixteen?.maxSustainedMessagesPerSec} vs ${one?.maxSustainedMessagesPerSec} messages/s sustained; p99 at ${shared?.rate ?? '—'}/s: ${sharedOne?.latencyMs.p99 ?? '—'} vs ${shared?.latencyMs.p99 ?? '—'} ms)`,
        met: ratio === null ? false : ratio >= 2,
      },
    ],
    failures: [],
    notes: [
      'Throughput ratios are bounded by the step list: when the top step is still good, the true maximum is higher.',
    ],
  });
}
