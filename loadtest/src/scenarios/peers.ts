/**
 * peers: the same chat workload and rate search against CoffeeChat, a two-node Socket.IO server
 * with the Redis adapter (no persistence) and a bare uWebSockets.js pub/sub server (no broker, no
 * store), one after the other in one invocation.
 */
import type { MachineInfo } from '../probes/machine.js';
import { maxSustained, type Report } from '../report/report.js';
import { assemble } from './assemble.js';
import type { BenchContext } from './context.js';
import { type Measurement, measureAndStop, rateSearch } from './measure.js';
import { type SearchOutcome, searchOutcome } from './search-outcome.js';
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
    ms.push(await measureAndStop(ctx, await start(), rateSearch(p)));
  }
  const sides: Record<string, SearchOutcome> = {};
  for (const m of ms) sides[m.system] = searchOutcome(m.steps);
  const ratio = (peer: string, key: 'capacityMessagesPerSec' | 'maxSustainedMessagesPerSec') => {
    const theirs = sides[peer]?.[key] ?? 0;
    return theirs > 0 ? Math.round(((sides.coffeechat?.[key] ?? 0) / theirs) * 100) / 100 : null;
  };
  const ours = sides.coffeechat;
  const sio = sides.socketio;
  return assemble(ctx, machine, new Date(ctx.origin), ms, {
    headline: maxSustained(ms.find((m) => m.system === 'coffeechat')?.steps ?? ms[0]?.steps ?? []),
    results: {
      ...sides,
      capacityRatioOursToSocketIo: ratio('socketio', 'capacityMessagesPerSec'),
      capacityRatioOursToUws: ratio('uws', 'capacityMessagesPerSec'),
      sustainedRatioOursToSocketIo: ratio('socketio', 'maxSustainedMessagesPerSec'),
      sustainedRatioOursToUws: ratio('uws', 'maxSustainedMessagesPerSec'),
    },
    targets: [
      {
        target: 'our capacity ≥ the Socket.IO peer’s while storing every message',
        actual: `at p99 ≤ ${p.p99LimitMs} ms: ${ours?.capacityMessagesPerSec ?? 0} vs ${sio?.capacityMessagesPerSec ?? 0} messages/s; sustained: ${ours?.maxSustainedMessagesPerSec ?? 0} vs ${sio?.maxSustainedMessagesPerSec ?? 0}`,
        met: ours && sio ? ours.capacityMessagesPerSec >= sio.capacityMessagesPerSec : null,
      },
    ],
    failures: [],
    notes: [
      'The peers keep nothing: an ack means the node has the message in memory. CoffeeChat acks after MongoDB (here FerretDB) stored it.',
      'Neither peer verifies the JWT (it reads the subject); CoffeeChat verifies it once per connection, outside the measured steps.',
    ],
  });
}
