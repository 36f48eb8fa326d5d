/**
 * Runs one fault: starts the servers it needs (its own RabbitMQ node or cluster, Redis, FerretDB,
 * toxiproxy), the four services, a join probe and the load; injects the fault at --kill-at-sec into the
 * fault's step and ends it --down-sec later; drains and settles; judges the run by the targets and
 * writes its report (JSON, Markdown, SVG with the fault marked) and the services' logs.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { mintToken } from '@coffeechat/auth';
import { RabbitNode, RedisServer, withMongoDatabase } from '@coffeechat/testkit';
import type { PlannedRoom } from '../generator/plan.js';
import type { MachineInfo } from '../probes/machine.js';
import type { Report } from '../report/report.js';
import { assemble, correctnessFailures } from '../scenarios/assemble.js';
import type { BenchContext } from '../scenarios/context.js';
import { type Measurement, measure } from '../scenarios/measure.js';
import type { SystemUnderTest } from '../scenarios/systems.js';
import type { InfraUrls } from '../stack/coffeechat-stack.js';
import { createRooms } from '../stack/rooms.js';
import type { FaultDef, FaultWorld } from './fault.js';
import { FaultStack } from './fault-stack.js';
import { JoinProbe, joinRecoverySec } from './join-probe.js';
import { FerretServer } from './servers/ferretdb.js';
import { Toxiproxy } from './servers/toxiproxy.js';
import { checkStore, type StoreCheck } from './store-seqs.js';
import { faultTargets } from './verdict.js';

export interface FaultTools {
  toxiproxyBin: string | undefined;
  ferretBin: string | undefined;
  /** the PostgreSQL database an own FerretDB uses */
  postgresUrl: string;
}

const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));

/** Starts what the fault needs instead of the machine's servers; returns the URLs the stack uses. */
async function startServers(def: FaultDef, w: FaultWorld, machineInfra: InfraUrls, dir: string, tools: FaultTools) {
  const infra = { ...machineInfra };
  const broker = def.setup.broker ?? 'machine';
  if (broker !== 'machine') {
    const tag = Math.random().toString(36).slice(2, 6);
    const count = broker === 'cluster' ? 3 : 1;
    for (let i = 0; i < count; i++) w.rabbit.push(await RabbitNode.create(path.join(dir, 'rabbitmq'), `ccf${tag}${i}`));
    w.log(`starting RabbitMQ node(s) ${w.rabbit.map((n) => `${n.node}:${n.port}`).join(', ')}`);
    const procs = await Promise.all(w.rabbit.map((n) => n.start()));
    for (const [i, p] of procs.entries()) w.track(`rabbitmq-${i}`, p.pid);
    const seed = w.rabbit[0] as RabbitNode;
    for (const n of w.rabbit.slice(1)) await n.join(seed);
    infra.amqp = seed.amqpUrl;
  }
  if (def.setup.ownRedis) {
    w.redis = await RedisServer.create(path.join(dir, 'redis'));
    w.track('redis-own', (await w.redis.start()).pid);
    infra.redis = w.redis.url;
  }
  if (def.setup.ownStore) {
    if (!tools.ferretBin) throw new Error('FERRETDB_BIN is not set (npm run faults builds and passes it)');
    w.ferret = await FerretServer.create(tools.ferretBin, tools.postgresUrl, path.join(dir, 'ferretdb'));
    w.track('ferretdb-own', (await w.ferret.start()).pid);
    infra.mongo = w.ferret.url;
  }
  return infra;
}

async function stopServers(w: FaultWorld): Promise<void> {
  await Promise.all([
    ...w.rabbit.map((n) => n.dispose()),
    w.redis?.stop(),
    w.ferret?.stop(),
    w.toxiproxy?.process.stop(),
  ]);
}

function systemUnderTest(stack: FaultStack, ctx: BenchContext): SystemUnderTest {
  return {
    name: 'coffeechat',
    driver: ctx.params.driver === 'raw' ? 'spec-ws' : 'coffeechat-client',
    urls: stack.gatewayUrls(),
    processes: () => stack.processes(),
    frontends: () => stack.names('gateway'),
    partitionQueues: () => stack.partitionQueues(),
    namespace: stack.namespace,
    database: stack.database,
    metricsPorts: () => ({
      routers: stack.names('router').map((n) => stack.port(n)),
      gateways: stack.names('gateway').map((n) => stack.port(n)),
    }),
    prepare: async (rooms) => createRooms(stack.routerUrl(), await adminToken(ctx), rooms),
    stop: () => stack.stop(),
  };
}

const adminToken = (ctx: BenchContext) => mintToken('faults-admin', { secret: ctx.jwtSecret, admin: true, ttl: '2h' });

export async function runFault(
  def: FaultDef,
  ctx: BenchContext,
  machine: MachineInfo,
  machineInfra: InfraUrls,
  tools: FaultTools,
  dir: string,
): Promise<Report> {
  mkdirSync(dir, { recursive: true });
  const p = ctx.params;
  const times = { injectedAt: 0, healedAt: 0 };
  const w: FaultWorld = {
    stack: undefined as unknown as FaultStack,
    params: p,
    jwtSecret: ctx.jwtSecret,
    toxiproxy: undefined,
    rabbit: [],
    redis: undefined,
    ferret: undefined,
    track: (name, pid) => ctx.sampler.track(name, pid, true),
    log: ctx.log,
    facts: {},
    targets: [],
    markInjected: () => {
      times.injectedAt = ctx.clock();
    },
  };
  let stack: FaultStack | undefined;
  let probe: JoinProbe | undefined;
  let m: Measurement | undefined;
  let afterHeal: Promise<unknown> | undefined;
  let store: StoreCheck | undefined;
  try {
    const infra = await startServers(def, w, machineInfra, dir, tools);
    ctx.infra = infra;
    if (def.setup.proxied?.length) {
      if (!tools.toxiproxyBin) throw new Error('TOXIPROXY_BIN is not set (npm run faults builds and passes it)');
      w.toxiproxy = await Toxiproxy.start(tools.toxiproxyBin, dir);
      w.track('toxiproxy', w.toxiproxy.process.pid);
    }
    ctx.log(`starting the services (${p.gateways} gateway(s), ${p.routers} router(s), presence, feed)`);
    stack = await FaultStack.start({
      gateways: p.gateways,
      routers: p.routers,
      partitions: p.partitions,
      infra,
      jwtSecret: ctx.jwtSecret,
      ...(w.toxiproxy ? { toxiproxy: w.toxiproxy } : {}),
      proxied: def.setup.proxied ?? [],
      logDir: dir,
      ...(p.profile ? { profileDir: path.join(dir, 'profiles') } : {}),
    });
    w.stack = stack;
    const s = stack;
    await def.prepare?.(w);
    // the probe's room: one member, who connects afresh and joins once a second
    const probeRoom: PlannedRoom = {
      index: -1,
      roomId: `probe-${ctx.runTag}`,
      members: [{ userId: `probe-${ctx.runTag}`, gateway: 0 }],
    };
    await createRooms(s.routerUrl(), await adminToken(ctx), [probeRoom]);
    probe = new JoinProbe(
      () => s.gatewayUrls(),
      probeRoom.roomId,
      probeRoom.members[0]?.userId ?? '',
      ctx.jwtSecret,
      ctx.clock,
    );
    const steps = plan(def, p);
    m = await measure(ctx, systemUnderTest(s, ctx), {
      steps: steps.steps,
      stopOnBad: false,
      during: async (i) => {
        if (i === 0) probe?.start();
        if (i !== steps.faultStep) return;
        await sleep(p.killAtSec);
        times.injectedAt = ctx.clock();
        ctx.log(`fault ${def.name}: ${def.summary}`);
        await def.inject(w);
        await sleep(Math.max(0, p.downSec - (ctx.clock() - times.injectedAt)));
        ctx.log(`fault ${def.name}: ending it`);
        await def.heal(w);
        times.healedAt = ctx.clock();
        ctx.log(`fault ${def.name}: over after ${(times.healedAt - times.injectedAt).toFixed(1)} s`);
        afterHeal = def
          .afterHeal?.(w)
          .catch((err: Error) =>
            w.targets.push({ target: `${def.name}: the check after the fault`, actual: err.message, met: false }),
          );
      },
    });
    await afterHeal;
    store = await checkStore(withMongoDatabase(infra.mongo, stack.database)).catch((err: Error) => {
      ctx.log(`the run's messages could not be read: ${err.message}`);
      return undefined;
    });
  } finally {
    await probe?.stop();
    if (stack) {
      await stack.stop();
      if (!w.rabbit.length) await stack.cleanup(machineInfra.amqp);
    }
    await stopServers(w);
  }
  if (!m) throw new Error(`${def.name}: no measurement`);
  def.analyse?.(w, m, times);
  const outageSec = Math.round((times.healedAt - times.injectedAt) * 10) / 10;
  const joinRecovery = joinRecoverySec(probe?.attempts ?? [], times.healedAt);
  const counts = m.total.counts;
  const targets = [
    ...faultTargets({
      lost: counts.lost,
      duplicates: counts.duplicates,
      orderViolations: counts.orderViolations,
      unacked: counts.unacked,
      slowestDeliveryMs: m.total.deliver.maxValue / 1000,
      outageSec,
      joinRecoverySec: joinRecovery,
      seqHoles: store ? store.holes.reduce((a, h) => a + h.count, 0) : null,
      senderInversions: store?.senderInversions ?? null,
    }),
    ...w.targets,
  ];
  const failures = [
    ...correctnessFailures([m]),
    ...targets.filter((t) => t.met === false).map((t) => `${t.target}: ${t.actual}`),
  ];
  const failedJoins = (probe?.attempts ?? []).filter((a) => !a.ok);
  const sat = m.generator.saturation();
  return assemble(ctx, machine, new Date(ctx.origin), [m], {
    headline: m.steps[plan(def, p).faultStep] ?? m.steps[0] ?? null,
    results: {
      fault: def.name,
      summary: def.summary,
      injectedAtSec: round(times.injectedAt),
      healedAtSec: round(times.healedAt),
      outageSec,
      slowestDeliveryMs: Math.round(m.total.deliver.maxValue / 1000),
      joinRecoverySec: joinRecovery,
      joinAttempts: probe?.attempts.length ?? 0,
      joinFailures: failedJoins.length,
      joinFailureOutcomes: tally(failedJoins.map((a) => a.outcome)),
      lateDeliveries: m.steps.reduce((a, s) => a + s.late, 0),
      // duplicate and out-of-order frames as they arrived (receiving member, seq, timeline seconds)
      anomalies: m.total.anomalies,
      // rooms whose stored seqs skip some (SPEC: none do), and senders' messages stored out of their order
      seqHoles: store?.holes ?? null,
      senderInversions: store?.senderInversions ?? null,
      generatorSaturatedSec: sat.saturatedSeconds,
      logs: dir,
      ...w.facts,
    },
    targets,
    failures: [...new Set(failures)],
    events: [
      { t: times.injectedAt, label: `${def.name}` },
      { t: times.healedAt, label: 'fault over' },
    ],
    notes: [
      def.summary,
      'Lost, duplicate and out-of-order counts are of frames read off the wire (before the SDK’s de-duplication). The slowest delivery is the largest send→deliver latency of any acked message; a new join is a fresh connection joining a room, tried once a second.',
      `Services’ logs (level info) and the servers’ logs of this run: ${dir}.`,
    ],
  });
}

/** The fault's steps, by default one step at the normal rate with the fault in it. */
const plan = (def: FaultDef, p: BenchContext['params']) =>
  def.plan?.(p) ?? { steps: [{ rate: p.rooms * p.ratePerRoom, durationSec: p.durationSec }], faultStep: 0 };
const round = (x: number) => Math.round(x * 10) / 10;

function tally(items: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const i of items) out[i] = (out[i] ?? 0) + 1;
  return out;
}
