/**
 * smoke: the small run CI affords (≤ 60 s with start-up): two gateways, one router, 50 rooms of 4,
 * 100 messages/s for 20 s. Fails on any lost, duplicated, reordered or never-acked message.
 */
import type { MachineInfo } from '../probes/machine.js';
import type { Report } from '../report/report.js';
import { assemble, correctnessFailures } from './assemble.js';
import type { BenchContext } from './context.js';
import { measureAndStop, steadyLoad } from './measure.js';
import { startCoffeeChat } from './systems.js';

export async function smoke(ctx: BenchContext, machine: MachineInfo): Promise<Report> {
  const p = ctx.params;
  const sut = await startCoffeeChat(ctx, { gateways: p.gateways, routers: p.routers, partitions: p.partitions });
  const m = await measureAndStop(ctx, sut, steadyLoad(p));
  const failures = correctnessFailures([m]);
  if (m.connect.failed > 0) failures.push(`${m.connect.failed} connections failed (${m.connect.failures[0] ?? ''})`);
  if ((m.steps[0]?.acked ?? 0) === 0) failures.push('no message was acked');
  return assemble(ctx, machine, new Date(ctx.origin), [m], {
    headline: m.steps[0] ?? null,
    results: { connections: m.connect.connected, gatewayBytesPerConnection: m.gatewayBytesPerConnection },
    targets: [],
    failures,
    notes: ['smoke judges correctness only; its latency is informative (CI machines are shared).'],
  });
}
