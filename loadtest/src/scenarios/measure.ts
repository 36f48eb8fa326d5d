/**
 * The measuring loop every load scenario shares: set rooms up on a system, connect the generator,
 * run steps at given rates (each followed by a drain, so every step's losses are exact), and turn
 * what was seen into step results.
 */
import { type ConnectResult, Generator, type GeneratorOptions, type PhaseResult } from '../generator/coordinator.js';
import { type PlannedRoom, planRooms } from '../generator/plan.js';
import type { LoadParams } from '../params.js';
import { hopBreakdown, readHops } from '../probes/hop-metrics.js';
import { QueueDepthProbe } from '../probes/queue-depth.js';
import { type StepResult, settleStep, stepResult } from '../report/report.js';
import type { BenchContext } from './context.js';
import type { SystemUnderTest } from './systems.js';

export interface StepPlan {
  /** total messages per second */
  rate: number;
  durationSec: number;
  /** the drain after this step (default: `--drain-sec`); 0 goes straight on to the next step */
  drainSec?: number;
}

export interface MeasureOptions {
  steps: StepPlan[];
  /**
   * Rate searches stop after the first step that did not carry its rate (lost, unacked, reordered
   * or duplicated messages, or a saturated generator); steps over the p99 limit go on, so both the
   * capacity at the latency limit and the maximum sustained throughput are found.
   */
  stopOnBad: boolean;
  /** runs alongside step `index` (failover kills a router from here) */
  during?: (index: number, generator: Generator) => Promise<void>;
}

/** The rate search: each `--steps` rate for `--duration-sec`, up to the first one not carried. */
export const rateSearch = (p: LoadParams): MeasureOptions => ({
  steps: p.steps.map((rate) => ({ rate, durationSec: p.durationSec })),
  stopOnBad: true,
});

/** The workload's own rate (`--rooms` × `--rate-per-room`) for `--duration-sec`, judged whatever happens. */
export const steadyLoad = (p: LoadParams): MeasureOptions => ({
  steps: [{ rate: p.rooms * p.ratePerRoom, durationSec: p.durationSec }],
  stopOnBad: false,
});

/** The ledger's phase of the warm-up: sent and checked like any other, reported in no step. */
const WARMUP_PHASE = 255;
/** After the last drain, how long the run keeps listening while messages still move. */
const SETTLE_MAX_SEC = 120;

export interface Measurement {
  system: string;
  database: string | null;
  rooms: PlannedRoom[];
  connect: ConnectResult;
  gatewayBytesPerConnection: number | null;
  steps: StepResult[];
  /** every message of the run after the final drain */
  total: PhaseResult;
  generator: Generator;
  queues: QueueDepthProbe | null;
}

/** `measure` on a system this scenario started, stopped afterwards whatever happened. */
export async function measureAndStop(ctx: BenchContext, sut: SystemUnderTest, o: MeasureOptions): Promise<Measurement> {
  try {
    return await measure(ctx, sut, o);
  } finally {
    await sut.stop();
  }
}

/** The load generator against `sut` with the run's parameters, connected; its workers are sampled like the servers. */
export async function startGenerator(
  ctx: BenchContext,
  sut: SystemUnderTest,
  users: Pick<GeneratorOptions, 'rooms' | 'idleUsers'>,
): Promise<Generator> {
  const p = ctx.params;
  const generator = await Generator.start({
    workers: p.workers,
    driver: sut.driver,
    urls: sut.urls,
    jwtSecret: ctx.jwtSecret,
    messageBytes: p.messageBytes,
    connectPerSec: p.connectPerSec,
    ...users,
    origin: ctx.origin,
  });
  for (const g of generator.pids()) ctx.sampler.track(g.name, g.pid);
  return generator;
}

export async function measure(ctx: BenchContext, sut: SystemUnderTest, o: MeasureOptions): Promise<Measurement> {
  const p = ctx.params;
  const rooms = planRooms(
    `${ctx.runTag}${sut.name.replace(/[^a-z0-9]/gi, '').slice(0, 8)}`,
    p.rooms,
    p.members,
    sut.urls.length,
  );
  ctx.log(`${sut.name}: creating ${rooms.length} rooms of ${p.members}`);
  await sut.prepare(rooms);
  for (const proc of sut.processes()) ctx.sampler.track(proc.name, proc.pid);
  const queues =
    sut.partitionQueues().length > 0 && sut.namespace
      ? await QueueDepthProbe.start(ctx.infra.amqp, sut.partitionQueues(), `${sut.namespace}.`, ctx.clock)
      : null;
  const frontRss = () => sut.frontends().reduce((sum, name) => sum + (ctx.sampler.rss(name) ?? 0), 0);
  const rssBefore = frontRss();

  ctx.log(
    `${sut.name}: connecting ${rooms.length * p.members} clients (${p.workers} worker process(es), ${p.connectPerSec}/s)`,
  );
  const generator = await startGenerator(ctx, sut, { rooms });
  const connect = generator.connect as ConnectResult;
  ctx.log(
    `${sut.name}: ${connect.connected} connected, ${connect.failed} failed (${connect.perSec}/s)${connect.failures.length ? `: ${connect.failures[0]}` : ''}`,
  );
  // let the servers settle (GC, lazy buffers) before reading their memory
  await new Promise((r) => setTimeout(r, 1000));
  const gatewayBytesPerConnection =
    sut.frontends().length > 0 && connect.connected > 0
      ? Math.round((frontRss() - rssBefore) / connect.connected)
      : null;

  const steps: StepResult[] = [];
  try {
    if (o.steps.length > 0 && p.warmupSec > 0) {
      // Each room sends once before anything is counted: the partitions' owners learn the rooms,
      // connections and code paths are warm. (At the first step's rate an overload step would start
      // overloaded.)
      const rate = rooms.length / p.warmupSec;
      ctx.log(`${sut.name}: warming up at ${Math.round(rate)}/s for ${p.warmupSec} s (not counted)`);
      await generator.phase(WARMUP_PHASE, rate / rooms.length, p.warmupSec);
      await generator.drain(WARMUP_PHASE, p.drainSec);
    }
    for (const [i, step] of o.steps.entries()) {
      const ports = sut.metricsPorts();
      const hopsBefore = ports.routers.length ? await readHops(ports.routers, ports.gateways) : null;
      const from = ctx.clock();
      const ratePerRoom = step.rate / rooms.length;
      await Promise.all([generator.phase(i, ratePerRoom, step.durationSec), o.during?.(i, generator)]);
      const to = ctx.clock();
      // read before the drain too, so the means describe the step under load, not the quiet after it
      const hopsAfter = hopsBefore ? await readHops(sut.metricsPorts().routers, sut.metricsPorts().gateways) : null;
      const phase = await generator.drain(i, step.drainSec ?? p.drainSec);
      const result = stepResult({
        system: sut.name,
        rate: step.rate,
        from,
        to,
        durationSec: step.durationSec,
        phase,
        processes: ctx.sampler.usage(from, to),
        maxInboundQueueDepth: queues ? queues.maxInbound(from, to + p.drainSec) : null,
        hops: hopsBefore && hopsAfter ? hopBreakdown(hopsBefore, hopsAfter) : null,
        generator: generator.saturation(from, to),
        p99LimitMs: p.p99LimitMs,
      });
      if (result.generator.saturatedSeconds > 1) {
        result.why.push(
          `generator saturated for ${result.generator.saturatedSeconds} s (CPU ${result.generator.maxCpuPct}%, lag p99 ${result.generator.maxLagP99Ms} ms): this step measures the generator`,
        );
        result.good = false;
        result.sustained = false;
      }
      steps.push(result);
      ctx.log(
        `${sut.name} @ ${step.rate}/s: ${result.messagesPerSec} msg/s acked, ${result.throughput} deliveries/s, p50 ${result.latencyMs.p50} p99 ${result.latencyMs.p99} max ${result.latencyMs.max} ms; lost ${result.lost}, dup ${result.duplicates}, reorder ${result.orderViolations}, unacked ${result.unacked} → ${result.good ? 'good' : result.sustained ? `sustained, over the latency limit (${result.why.join('; ')})` : `not sustained (${result.why.join('; ')})`}`,
      );
      if (queues && sut.namespace) await queues.snapshot();
      if (o.stopOnBad && !result.sustained) break;
    }
    const total = await settle(generator, queues, p.drainSec);
    // Each step judged again with its final counts: a delivery after its drain is late, not lost.
    for (const [i, step] of steps.entries()) {
      const final = await generator.drain(i, 0);
      steps[i] = settleStep(step, final.counts, p.p99LimitMs);
      const s = steps[i] as StepResult;
      if (s.late > 0 || s.lateAcks > 0)
        ctx.log(
          `${sut.name} @ ${s.rate}/s settled: late ${s.late}, acked late ${s.lateAcks}, lost ${s.lost}, unacked ${s.unacked}`,
        );
    }
    return {
      system: sut.name,
      database: sut.database,
      rooms,
      connect,
      gatewayBytesPerConnection,
      steps,
      total,
      generator,
      queues,
    };
  } finally {
    await generator.stop();
    await queues?.stop();
  }
}

/**
 * The final drain, then listening on while anything still moves (messages in the inbound queues, acks
 * or deliveries still arriving), at most SETTLE_MAX_SEC: what arrives late is told from what is lost.
 */
async function settle(generator: Generator, queues: QueueDepthProbe | null, drainSec: number): Promise<PhaseResult> {
  let last = await generator.drain(null, drainSec);
  const deadline = performance.now() + SETTLE_MAX_SEC * 1000;
  const open = (r: PhaseResult) => r.counts.lost + r.counts.unacked;
  while (open(last) > 0 && performance.now() < deadline) {
    const next = await generator.drain(null, 5);
    const moved = next.counts.acked + next.counts.delivered > last.counts.acked + last.counts.delivered;
    last = next;
    if (!moved && (queues?.latestInbound() ?? 0) === 0) break;
  }
  return last;
}
