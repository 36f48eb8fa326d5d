/**
 * Every fault `npm run faults` knows (issue 12): processes killed and stopped, the broker, cache and
 * store cut, stalled and restarted, a RabbitMQ cluster losing its busiest node, network latency,
 * bandwidth limits and resets, a reconnect storm and an overload.
 */

import { clusterLeaderKill } from './cluster-fault.js';
import type { FaultDef, FaultWorld } from './fault.js';
import type { Link, ServiceKind } from './fault-stack.js';
import { RankingsWatch } from './rankings-watch.js';
import type { Toxic } from './servers/toxiproxy.js';

const must = <T>(value: T | undefined, what: string): T => {
  if (value === undefined) throw new Error(`this fault needs ${what}`);
  return value;
};

function restartAll(w: FaultWorld, names: readonly string[]): Promise<void> {
  return Promise.all(
    names.map(async (n) => {
      const p = await w.stack.restart(n);
      w.track(p.name, p.pid);
    }),
  ).then(() => undefined);
}

/** kill -9 (a crash) or SIGTERM (a deploy) of one service, started again `downSec` later. */
function processFault(kind: ServiceKind, how: 'kill' | 'term', extra: Partial<FaultDef> = {}): FaultDef {
  const victim = `${kind}-0`;
  return {
    name: `${kind}-${how}`,
    summary: `${how === 'kill' ? 'kill -9' : 'SIGTERM'} of ${victim}, started again on its port after --down-sec`,
    setup: {},
    async inject(w) {
      if (how === 'kill') {
        await w.stack.kill(victim);
        return;
      }
      const sec = await w.stack.terminate(victim);
      w.facts.sigtermExitSec = sec;
      w.targets.push({ target: 'SIGTERM ends the service within 10 s', actual: `${sec} s`, met: sec <= 10 });
    },
    heal: (w) => restartAll(w, [victim]),
    ...extra,
  };
}

/** Every connection through the proxies of `links` closed, and new ones refused, for --down-sec. */
function cutFault(name: string, links: Link[], summary: string): FaultDef {
  const proxies = (w: FaultWorld) => links.flatMap((l) => w.stack.proxies(l));
  return {
    name,
    summary,
    setup: { proxied: links },
    inject: (w) => must(w.toxiproxy, 'toxiproxy').setEnabled(proxies(w), false),
    heal: (w) => must(w.toxiproxy, 'toxiproxy').setEnabled(proxies(w), true),
  };
}

/** A toxic on every proxy of `links` (both directions where it makes sense) for --down-sec. */
function toxicFault(name: string, links: Link[], summary: string, toxics: Toxic[], load?: FaultDef['load']): FaultDef {
  const proxies = (w: FaultWorld) => links.flatMap((l) => w.stack.proxies(l));
  return {
    name,
    summary,
    setup: { proxied: links },
    ...(load ? { load } : {}),
    async inject(w) {
      const t = must(w.toxiproxy, 'toxiproxy');
      for (const [i, toxic] of toxics.entries()) await t.addToxic(proxies(w), `${name}-${i}`, toxic);
    },
    async heal(w) {
      const t = must(w.toxiproxy, 'toxiproxy');
      for (const i of toxics.keys()) await t.removeToxic(proxies(w), `${name}-${i}`);
    },
  };
}

/**
 * A Redis fault that also checks the feed's rankings: engagement recorded before the load, every ranked
 * read equal to before within 60 s of the fault's end, and nothing else served meanwhile (rankings-watch.ts).
 */
function withRankings(def: FaultDef): FaultDef {
  let watch: RankingsWatch | undefined;
  return {
    ...def,
    async prepare(w) {
      await def.prepare?.(w);
      watch = await RankingsWatch.seed(w);
    },
    async afterHeal(w) {
      await def.afterHeal?.(w);
      await must(watch, 'the rankings recorded before the fault').check();
    },
  };
}

const latency = (stream: 'upstream' | 'downstream'): Toxic => ({
  type: 'latency',
  stream,
  attributes: { latency: 200, jitter: 50 },
});
const SERVICE_LINKS: Link[] = ['amqp', 'redis', 'mongo'];

export const FAULTS: FaultDef[] = [
  processFault('gateway', 'kill', {
    summary:
      'kill -9 of gateway-0 (one of two): its clients move to gateway-1; gateway-0 is started again after --down-sec',
  }),
  {
    ...processFault('gateway', 'kill'),
    name: 'gateway-restart',
    summary: 'kill -9 of the only gateway, started again on the same port 3 s later: clients come back to it',
    load: { gateways: 1, downSec: 3 },
  },
  processFault('gateway', 'term'),
  processFault('router', 'kill'),
  processFault('router', 'term'),
  processFault('presence', 'kill'),
  processFault('presence', 'term'),
  processFault('feed', 'kill'),
  processFault('feed', 'term'),
  cutFault('broker-cut', ['amqp'], 'every service’s RabbitMQ connection cut (toxiproxy) and restored'),
  {
    name: 'broker-restart',
    summary: 'the run’s own RabbitMQ node stopped (SIGTERM, a clean shutdown) and started again',
    setup: { broker: 'own' },
    inject: (w) => must(w.rabbit[0], 'a RabbitMQ node').stop(),
    async heal(w) {
      const p = await must(w.rabbit[0], 'a RabbitMQ node').start();
      w.track('rabbitmq-0', p.pid);
    },
  },
  {
    name: 'broker-kill',
    summary: 'the run’s own RabbitMQ node killed (kill -9 of the Erlang VM) and started again',
    setup: { broker: 'own' },
    inject: (w) => must(w.rabbit[0], 'a RabbitMQ node').kill(),
    async heal(w) {
      const p = await must(w.rabbit[0], 'a RabbitMQ node').start();
      w.track('rabbitmq-0', p.pid);
    },
  },
  clusterLeaderKill,
  withRankings({
    name: 'redis-restart',
    summary:
      'the run’s own redis-server (no persistence) stopped and started again empty; the feed’s rankings must come back from MongoDB',
    setup: { ownRedis: true },
    inject: (w) => must(w.redis, 'a redis-server').stop(),
    async heal(w) {
      const p = await must(w.redis, 'a redis-server').start();
      w.track('redis-own', p.pid);
    },
  }),
  withRankings(
    cutFault(
      'redis-cut',
      ['redis'],
      'every service’s Redis connection cut (toxiproxy) and restored; the feed’s rankings must stay as they were',
    ),
  ),
  {
    name: 'store-stall',
    summary: 'the run’s own FerretDB frozen (SIGSTOP) and resumed (SIGCONT)',
    setup: { ownStore: true },
    inject: async (w) => must(must(w.ferret, 'a FerretDB').process, 'FerretDB running').signal('SIGSTOP'),
    heal: async (w) => must(must(w.ferret, 'a FerretDB').process, 'FerretDB running').signal('SIGCONT'),
  },
  cutFault('store-cut', ['mongo'], 'every service’s store connection cut (toxiproxy) and restored'),
  {
    name: 'store-restart',
    summary: 'the run’s own FerretDB stopped and started again',
    setup: { ownStore: true },
    inject: (w) => must(w.ferret, 'a FerretDB').stop(),
    async heal(w) {
      const p = await must(w.ferret, 'a FerretDB').start();
      w.track('ferretdb-own', p.pid);
    },
  },
  toxicFault(
    'latency-clients',
    ['clients'],
    '200 ms ± 50 ms each way between the clients and the gateways (toxiproxy), for --down-sec',
    [latency('upstream'), latency('downstream')],
    { downSec: 20 },
  ),
  toxicFault(
    'latency-services',
    SERVICE_LINKS,
    '200 ms ± 50 ms each way between every service and RabbitMQ, Redis and the store, for --down-sec',
    [latency('upstream'), latency('downstream')],
    { downSec: 20 },
  ),
  toxicFault(
    'bandwidth-clients',
    ['clients'],
    'each client connection limited to 1 KB/s towards the client, for --down-sec',
    [{ type: 'bandwidth', attributes: { rate: 1 } }],
    { downSec: 20 },
  ),
  toxicFault(
    'bandwidth-services',
    SERVICE_LINKS,
    'each service’s connections to RabbitMQ, Redis and the store limited to 32 KB/s each way, for --down-sec',
    [
      { type: 'bandwidth', stream: 'downstream', attributes: { rate: 32 } },
      { type: 'bandwidth', stream: 'upstream', attributes: { rate: 32 } },
    ],
    { downSec: 20 },
  ),
  toxicFault(
    'reset-clients',
    ['clients'],
    'every client connection reset (TCP RST), and every new one, for --down-sec',
    [{ type: 'reset_peer', attributes: { timeout: 0 } }],
    { downSec: 5 },
  ),
  toxicFault(
    'reset-services',
    SERVICE_LINKS,
    'every service connection to RabbitMQ, Redis and the store reset (TCP RST), and every new one, for --down-sec',
    [{ type: 'reset_peer', attributes: { timeout: 0 } }],
    { downSec: 5 },
  ),
];
