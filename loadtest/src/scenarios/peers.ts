/**
 * peers: the same chat workload and rate search against CoffeeChat, a two-node Socket.IO server
 * with the Redis adapter (no persistence) and a bare uWebSockets.js pub/sub server (no broker, no
 * store), one after the other in one invocation.
 */
import type { MachineInfo } from '../probes/machine.js';
import { busiest, lastGood, type Report } from '../report/report.js';
import { assemble } from './assemble.js';
import type { BenchContext } from './context.js';
import { type Measurement, measure } from './measure.js';
import { type SystemUnderTest, startCoffeeChat, startSocketIoPeer, startUwsPeer } from './systems.js';

export async function peers(ctx: BenchContext, machine: MachineInfo): Promise<Report> {
  const p = ctx.params;
  const starters: Record<string, () => Promise<SystemUnderTest>> = {
    coffeechat: () =>
      startCoffeeChat(ctx, { gateways: p.gateways, routers: p.routers, partitions: p.partitions, name: 'coffeechat' }),
    socketio: () => startSocketIoPeer(ctx, 2),
    uws: () => startUwsPeer(ctx),
  };
  const ms: Measurement[] = [];
  for (const system of p.systems) {
    const start = starters[system];
    if (!start) continue;
    const sut = await start();
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
  const sides = Object.fromEntries(
    ms.map((m) => {
      const good = lastGood(m.steps);
      const bad = m.steps.find((s) => !s.good);
      return [
        m.system,
        {
          capacityMessagesPerSec: good?.rate ?? 0,
          deliveriesPerSec: good?.throughput ?? 0,
          p99Ms: good?.latencyMs.p99 ?? null,
          limitedBy: bad
            ? `${bad.rate}/s: ${bad.why.join('; ')}; busiest: ${busiest(bad.processes)}`
            : 'top step still good',
        },
      ];
    }),
  ) as Record<string, { capacityMessagesPerSec: number; p99Ms: number | null }>;
  const ours = sides.coffeechat?.capacityMessagesPerSec ?? 0;
  const ratio = (peer: string) => {
    const theirs = sides[peer]?.capacityMessagesPerSec ?? 0;
    return theirs > 0 ? Math.round((ours / theirs) * 100) / 100 : null;
  };
  return assemble(ctx, machine, new Date(ctx.origin), ms, {
    headline: lastGood(ms.find((m) => m.system === 'coffeechat')?.steps ?? ms[0]?.steps ?? []),
    results: { ...sides, oursToSocketIo: ratio('socketio'), oursToUws: ratio('uws') },
    targets: [
      {
        target: 'our capacity ≥ the Socket.IO peer’s while storing every message',
        actual: `${ours} vs ${sides.socketio?.capacityMessagesPerSec ?? 0} messages/s (ratio ${ratio('socketio') ?? 'n/a'})`,
        met: ratio('socketio') === null ? null : (ratio('socketio') ?? 0) >= 1,
      },
    ],
    failures: [],
    notes: [
      'The peers keep nothing: an ack means the node has the message in memory. CoffeeChat acks after MongoDB (here FerretDB) stored it.',
      'Neither peer verifies the JWT (it reads the subject); CoffeeChat verifies it once per connection, outside the measured steps.',
    ],
  });
}
