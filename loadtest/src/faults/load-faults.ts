/** Faults made of load itself: a reconnect storm and an overload. */
import type { FaultDef } from './fault.js';

/** 10,000 connected clients dropped at once (their proxies cut for a second); all come back with afterSeq. */
export const reconnectStorm: FaultDef = {
  name: 'storm',
  summary:
    '10,000 connected SDK clients (2,500 rooms × 4) dropped at once (their toxiproxy cut for --down-sec); all resume with afterSeq',
  setup: { proxied: ['clients'] },
  load: { rooms: 2500, ratePerRoom: 0.01, workers: 4, connectPerSec: 500, downSec: 1, durationSec: 50 },
  inject: async (w) => {
    const t = w.toxiproxy;
    if (t) await t.setEnabled(w.stack.proxies('clients'), false);
  },
  heal: async (w) => {
    const t = w.toxiproxy;
    if (t) await t.setEnabled(w.stack.proxies('clients'), true);
  },
  analyse(w, m, { injectedAt, healedAt }) {
    const total = m.connect.connected;
    const back = m.generator.timeline().find((p) => p.t >= healedAt && p.connected >= total);
    const resumedSec = back ? Math.round((back.t - injectedAt) * 10) / 10 : null;
    w.facts.clients = total;
    w.facts.resumedSec = resumedSec;
    w.facts.lowestConnected = Math.min(
      ...m.generator
        .timeline()
        .filter((p) => p.t >= injectedAt)
        .map((p) => p.connected),
    );
    w.targets.push({
      target: `all ${total} clients resumed within 10 s of the drop`,
      actual: resumedSec === null ? 'not all came back' : `${resumedSec} s (1 s resolution)`,
      met: resumedSec !== null && resumedSec <= 10,
    });
  },
};

/** Twice the measured capacity for --down-sec, then the normal rate again. */
export const overload: FaultDef = {
  name: 'overload',
  summary: 'twice the measured capacity (--capacity, messages/s) for --down-sec, then back to the normal rate',
  setup: {},
  load: { killAtSec: 0, downSec: 30 },
  plan: (p) => {
    const normal = p.rooms * p.ratePerRoom;
    return {
      steps: [
        { rate: normal, durationSec: 20, drainSec: 0 },
        { rate: 2 * p.capacity, durationSec: p.downSec, drainSec: 0 },
        { rate: normal, durationSec: 30 },
      ],
      faultStep: 1,
    };
  },
  inject: async () => undefined,
  heal: async () => undefined,
};
