/**
 * connections: ramps idle connections (no rooms, nothing sent) towards 20,000 on one gateway and
 * reports the connect rate and the gateway's memory per connection.
 */
import type { ConnectResult } from '../generator/coordinator.js';
import { planIdleUsers } from '../generator/plan.js';
import type { MachineInfo } from '../probes/machine.js';
import { listenOverflows } from '../probes/netstat.js';
import type { Report } from '../report/report.js';
import { assemble } from './assemble.js';
import type { BenchContext } from './context.js';
import { type Measurement, startGenerator } from './measure.js';
import { startCoffeeChat } from './systems.js';

const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));
const KIB = 1024;
/** issue 12: 10,000 clients dropped at once are back within 10 s */
const CONNECT_TARGET_PER_SEC = 1000;

export async function connections(ctx: BenchContext, machine: MachineInfo): Promise<Report> {
  const p = ctx.params;
  const sut = await startCoffeeChat(ctx, { gateways: p.gateways, routers: 1, partitions: p.partitions });
  let m: Measurement;
  const rss = { before: 0, afterRamp: 0, afterHold: 0 };
  let stillOpen = 0;
  let rampSec = 0;
  let overflowsBefore: number | null = null;
  let overflowsAfter: number | null = null;
  try {
    for (const proc of sut.processes()) ctx.sampler.track(proc.name, proc.pid);
    const frontRss = () => sut.frontends().reduce((sum, name) => sum + (ctx.sampler.rss(name) ?? 0), 0);
    await sleep(1);
    rss.before = frontRss();
    overflowsBefore = listenOverflows();
    ctx.log(`opening ${p.connections} idle connections at ${p.connectPerSec}/s over ${p.workers} worker(s)`);
    const t0 = ctx.clock();
    const generator = await startGenerator(ctx, sut, {
      rooms: [],
      idleUsers: planIdleUsers(ctx.runTag, p.connections, sut.urls.length),
    });
    try {
      rampSec = ctx.clock() - t0;
      overflowsAfter = listenOverflows();
      const connect = generator.connect as ConnectResult;
      ctx.log(`${connect.connected} connected, ${connect.failed} failed in ${rampSec.toFixed(1)} s`);
      await sleep(1);
      rss.afterRamp = frontRss();
      ctx.log(`holding them for ${p.holdSec} s`);
      await sleep(p.holdSec);
      rss.afterHold = frontRss();
      const total = await generator.drain(null, 0);
      stillOpen = total.connected;
      m = {
        system: sut.name,
        database: sut.database,
        rooms: [],
        connect,
        gatewayBytesPerConnection: connect.connected
          ? Math.round((rss.afterHold - rss.before) / connect.connected)
          : null,
        steps: [],
        total,
        generator,
        queues: null,
      };
    } finally {
      await generator.stop();
    }
  } finally {
    await sut.stop();
  }
  const perConn = m.gatewayBytesPerConnection;
  const failures: string[] = [];
  if (m.connect.connected === 0) failures.push(`no connection succeeded: ${m.connect.failures[0] ?? ''}`);
  return assemble(ctx, machine, new Date(ctx.origin), [m], {
    headline: null,
    results: {
      target: p.connections,
      connected: m.connect.connected,
      failed: m.connect.failed,
      firstFailures: m.connect.failures,
      stillOpenAfterHold: stillOpen,
      connectPerSec: m.connect.perSec,
      connectLatencyMs: m.connect.latencyMs,
      rampSec: Math.round(rampSec * 10) / 10,
      // machine-wide: other work on the machine may add to it
      listenQueueOverflowsDuringRamp:
        overflowsBefore !== null && overflowsAfter !== null ? overflowsAfter - overflowsBefore : null,
      gatewayRssBytes: rss,
      gatewayKiBPerConnection: perConn === null ? null : Math.round((perConn / KIB) * 100) / 100,
    },
    targets: [
      {
        target: `${p.connections} idle connections held`,
        actual: `${m.connect.connected} connected, ${stillOpen} still open after ${p.holdSec} s`,
        met: m.connect.connected >= p.connections,
      },
      {
        target: `≥ ${CONNECT_TARGET_PER_SEC} connects/s on one gateway (asked: ${p.connectPerSec}/s)`,
        actual: `${m.connect.perSec}/s`,
        met: m.connect.perSec >= CONNECT_TARGET_PER_SEC,
      },
      {
        target: 'gateway memory ≤ 16 KiB per idle connection',
        actual: perConn === null ? 'n/a' : `${(perConn / KIB).toFixed(2)} KiB`,
        met: perConn === null ? null : perConn <= 16 * KIB,
      },
    ],
    failures,
    notes: [
      'Memory per connection is the growth of the gateway’s RSS from before the first connection to after the hold, divided by the connections; it includes V8 heap not yet collected.',
    ],
  });
}
