/**
 * failover: the smoke load with two routers while the active one (router-0: the first consumer
 * of every partition's single-active-consumer queue) is kill -9'd and, after a while, restarted.
 * Reports the recovery time and proves (or disproves) zero loss.
 */
import type { MachineInfo } from '../probes/machine.js';
import type { Report } from '../report/report.js';
import { assemble, correctnessFailures } from './assemble.js';
import type { BenchContext } from './context.js';
import { measureAndStop, steadyLoad } from './measure.js';
import { recovery } from './recovery.js';
import { startCoffeeChat } from './systems.js';

const sleep = (s: number) => new Promise((r) => setTimeout(r, s * 1000));

export async function failover(ctx: BenchContext, machine: MachineInfo): Promise<Report> {
  const p = ctx.params;
  const sut = await startCoffeeChat(ctx, {
    gateways: p.gateways,
    routers: Math.max(1, p.routers),
    partitions: p.partitions,
  });
  const stack = sut.stack;
  if (!stack) throw new Error('failover needs a stack it started (not --gateway-url)');
  let killAt = 0;
  let restartedAt = 0;
  let restartSec = 0;
  const cpuBefore: Record<string, number> = {};
  const m = await measureAndStop(ctx, sut, {
    ...steadyLoad(p),
    during: async () => {
      await sleep(p.killAtSec);
      for (const u of ctx.sampler.usage(ctx.clock() - 3))
        if (u.name.startsWith('router-')) cpuBefore[u.name] = u.cpuPct;
      killAt = ctx.clock();
      ctx.log('kill -9 router-0');
      await stack.killRouter(0);
      await sleep(p.downSec);
      ctx.log('restarting router-0');
      const t = ctx.clock();
      const proc = await stack.restartRouter(0);
      restartedAt = ctx.clock();
      restartSec = Math.round((restartedAt - t) * 10) / 10;
      ctx.sampler.track(proc.name, proc.pid);
    },
  });
  const step = m.steps[0] ?? null;
  const rec = recovery(m.generator.timeline(), killAt);
  const failures = correctnessFailures([m]);
  if (m.connect.failed > 0) failures.push(`${m.connect.failed} connections failed`);
  return assemble(ctx, machine, new Date(ctx.origin), [m], {
    headline: step,
    results: {
      killedAtSec: Math.round(killAt * 10) / 10,
      restartedAtSec: Math.round(restartedAt * 10) / 10,
      routerRestartSec: restartSec,
      routerCpuBeforeKill: cpuBefore,
      ...rec,
      longestSendToAckMs: step?.ackLatencyMs.max ?? null,
      // messages still queued for the routers when the run ended were not lost, only not yet processed
      inboundQueueDepthAtEnd: m.queues?.samples.at(-1)?.inbound ?? null,
      zeroLoss: failures.length === 0,
    },
    targets: [
      {
        target: 'zero loss across a router kill -9',
        actual: failures.length ? failures.join('; ') : 'none lost',
        met: failures.length === 0,
      },
    ],
    failures,
    events: [
      { t: killAt, label: 'kill -9 router-0' },
      { t: restartedAt, label: 'router-0 ready again' },
    ],
    notes: [
      'router-1 stands by as a second consumer of every partition queue; the broker hands the partitions over when router-0’s connection drops.',
      'Recovery is read from the per-second timeline (1 s resolution); the longest send→ack is the worst wait a user saw.',
    ],
  });
}
