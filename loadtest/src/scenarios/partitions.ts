/**
 * partitions: the V2 experiment, twice. Many rooms send at once; the same rate search runs against
 * ROUTER_PARTITIONS=1 and 16, first in the seed's condition (ROUTER_BATCH_MAX=1: one store call per
 * message, as its consumer stored) and then with batching on (`--batch-max`, the router's default
 * 100), all in one invocation, so what partitioning buys and what batching adds are set side by side.
 */
import type { MachineInfo } from '../probes/machine.js';
import { maxSustained, type Report, type StepResult, type TargetCheck } from '../report/report.js';
import { assemble } from './assemble.js';
import type { BenchContext } from './context.js';
import { type Measurement, measureAndStop, rateSearch } from './measure.js';
import { type SearchOutcome, searchOutcome } from './search-outcome.js';
import { startCoffeeChat } from './systems.js';

const PARTITION_COUNTS = [1, 16] as const;

const ratio = (a: number, b: number) => (b > 0 ? Math.round((a / b) * 100) / 100 : null);
/** a ≥ twice b; when b carried nothing at all, any a > 0 is more than twice it */
const atLeastTwice = (a: number, b: number) => (b > 0 ? a >= 2 * b : a > 0);

/** p99 of both at the highest rate both carried: the "equal load" comparison. */
function atEqualRate(one: StepResult[], sixteen: StepResult[]) {
  const carriedByOne = new Set(one.filter((s) => s.sustained).map((s) => s.rate));
  const shared = sixteen.filter((s) => s.sustained && carriedByOne.has(s.rate)).at(-1);
  const sharedOne = shared ? one.find((s) => s.rate === shared.rate) : undefined;
  return shared && sharedOne
    ? { rate: shared.rate, 'P=1': sharedOne.latencyMs.p99, 'P=16': shared.latencyMs.p99 }
    : null;
}

export async function partitions(ctx: BenchContext, machine: MachineInfo): Promise<Report> {
  const p = ctx.params;
  const batchSizes = [1, p.batchMax];
  const ms: Measurement[] = [];
  for (const batchMax of batchSizes) {
    for (const partitionCount of PARTITION_COUNTS) {
      const sut = await startCoffeeChat(ctx, {
        gateways: p.gateways,
        routers: p.routers,
        partitions: partitionCount,
        batchMax,
        name: `coffeechat P=${partitionCount} batch=${batchMax}`,
      });
      ms.push(await measureAndStop(ctx, sut, rateSearch(p)));
    }
  }
  const [seedOne, seedSixteen, batchedOne, batchedSixteen] = ms.map((m) => m.steps);
  const sides = [seedOne, seedSixteen, batchedOne, batchedSixteen].map((steps) => searchOutcome(steps ?? []));
  const [s1, s16, b1, b16] = sides as [SearchOutcome, SearchOutcome, SearchOutcome, SearchOutcome];
  const seedEqual = atEqualRate(seedOne ?? [], seedSixteen ?? []);
  const throughputRatio = ratio(s16.maxSustainedMessagesPerSec, s1.maxSustainedMessagesPerSec);
  const capacityRatio = ratio(s16.capacityMessagesPerSec, s1.capacityMessagesPerSec);
  const batched = `batch=${p.batchMax}`;
  const targets: TargetCheck[] = [
    {
      target: 'seed condition (batch=1): 16 partitions sustain ≥ 2× the throughput of 1',
      actual: `${throughputRatio ?? '∞'}× (${s16.maxSustainedMessagesPerSec} vs ${s1.maxSustainedMessagesPerSec} messages/s)`,
      met: atLeastTwice(s16.maxSustainedMessagesPerSec, s1.maxSustainedMessagesPerSec),
    },
    {
      target: 'seed condition (batch=1): 16 partitions reach ≥ 2× the capacity of 1 at p99 ≤ the limit',
      actual: `${capacityRatio ?? '∞'}× (${s16.capacityMessagesPerSec} vs ${s1.capacityMessagesPerSec} messages/s)`,
      met: atLeastTwice(s16.capacityMessagesPerSec, s1.capacityMessagesPerSec),
    },
    {
      target: 'seed condition (batch=1): p99 of 16 partitions no worse than of 1 at the highest rate both carry',
      actual: seedEqual
        ? `at ${seedEqual.rate}/s: ${seedEqual['P=16']} vs ${seedEqual['P=1']} ms`
        : 'no rate carried by both',
      met: seedEqual ? seedEqual['P=16'] <= seedEqual['P=1'] : false,
    },
  ];
  return assemble(ctx, machine, new Date(ctx.origin), ms, {
    headline: maxSustained(batchedSixteen ?? []),
    results: {
      'P=1 batch=1': s1,
      'P=16 batch=1': s16,
      [`P=1 ${batched}`]: b1,
      [`P=16 ${batched}`]: b16,
      seedThroughputRatio16to1: throughputRatio,
      seedCapacityRatio16to1: capacityRatio,
      seedP99AtEqualRate: seedEqual,
      batchedThroughputRatio16to1: ratio(b16.maxSustainedMessagesPerSec, b1.maxSustainedMessagesPerSec),
      batchedP99AtEqualRate: atEqualRate(batchedOne ?? [], batchedSixteen ?? []),
      batchingGainP1: ratio(b1.maxSustainedMessagesPerSec, s1.maxSustainedMessagesPerSec),
      batchingGainP16: ratio(b16.maxSustainedMessagesPerSec, s16.maxSustainedMessagesPerSec),
    },
    targets,
    failures: [],
    notes: [
      'Throughput ratios are bounded by the step list: when the top step is still good, the true maximum is higher.',
      `With batching on (${batched}) a partition stores a whole batch in one insert, so one partition's store calls no longer limit it; the machine's CPU does.`,
    ],
  });
}
