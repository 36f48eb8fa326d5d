/**
 * capacity: the target workload (2,000 users in 500 rooms of 4) with the total message
 * rate stepped up until p99 send→deliver passes the limit (100 ms) or anything is lost; the last
 * good step is the capacity.
 */
import type { MachineInfo } from '../probes/machine.js';
import { busiest, lastGood, maxSustained, type Report, type TargetCheck } from '../report/report.js';
import { assemble } from './assemble.js';
import type { BenchContext } from './context.js';
import { measureAndStop, rateSearch } from './measure.js';
import { startCoffeeChat } from './systems.js';

export async function capacity(ctx: BenchContext, machine: MachineInfo): Promise<Report> {
  const p = ctx.params;
  const sut = await startCoffeeChat(ctx, { gateways: p.gateways, routers: p.routers, partitions: p.partitions });
  const m = await measureAndStop(ctx, sut, rateSearch(p));
  const good = lastGood(m.steps);
  const top = maxSustained(m.steps);
  const firstBad = m.steps.find((s) => !s.good) ?? null;
  const stop = m.steps.find((s) => !s.sustained) ?? null;
  const at1000 = m.steps.find((s) => s.rate === 1000);
  const targets: TargetCheck[] = [
    {
      target: `p99 send→deliver ≤ 50 ms at 1,000 messages/s, ${p.rooms * p.members} users in ${p.rooms} rooms, zero loss`,
      actual: at1000
        ? `p99 ${at1000.latencyMs.p99} ms, lost ${at1000.lost}, unacked ${at1000.unacked}`
        : 'step not reached',
      met: at1000 ? at1000.latencyMs.p99 <= 50 && at1000.lost === 0 && at1000.unacked === 0 : false,
    },
  ];
  return assemble(ctx, machine, new Date(ctx.origin), [m], {
    headline: top ?? good,
    results: {
      capacityMessagesPerSec: good?.rate ?? 0,
      capacityDeliveriesPerSec: good?.throughput ?? 0,
      p99AtCapacityMs: good?.latencyMs.p99 ?? null,
      capacityEnded: firstBad
        ? `at ${firstBad.rate}/s: ${firstBad.why.join('; ')}`
        : 'every step was good (raise --steps)',
      maxSustainedMessagesPerSec: top?.rate ?? 0,
      p99AtMaxSustainedMs: top?.latencyMs.p99 ?? null,
      searchEnded: stop ? `at ${stop.rate}/s: ${stop.why.join('; ')}` : 'every step was carried (raise --steps)',
      busiestAtEnd: stop ? busiest(stop.processes) : top ? busiest(top.processes) : null,
    },
    targets,
    failures: [],
    notes: [],
  });
}
