/**
 * A three-node RabbitMQ cluster of the run's own: the partitions' quorum queues are replicated over
 * all three nodes, their leaders spread (`rabbitmq-queues rebalance quorum`), and the node leading the
 * most partitions is killed (-9) under load, then started again. The services reach the cluster through
 * toxiproxy, which plays the load balancer: when the node it points at dies, it is pointed at a survivor.
 */

import type { RabbitNode } from '@coffeechat/testkit';
import type { FaultDef, FaultWorld } from './fault.js';

/** partition queue → the node leading it, read from a node that is up. */
async function leaders(w: FaultWorld, via: RabbitNode): Promise<Record<string, string>> {
  const out = await via.ctl(['list_queues', '--quiet', '--no-table-headers', 'name', 'leader']);
  const wanted = new Set(w.stack.partitionQueues());
  const map: Record<string, string> = {};
  for (const line of out.split('\n')) {
    const [name, leader] = line.trim().split(/\s+/);
    if (name && leader && wanted.has(name)) map[name] = leader;
  }
  return map;
}

function countByNode(map: Record<string, string>): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const node of Object.values(map)) counts[node] = (counts[node] ?? 0) + 1;
  return counts;
}

let victim: RabbitNode | undefined;

/** Points the services' broker address (the proxies playing the load balancer) at `node`: they reconnect there. */
async function balanceTo(w: FaultWorld, node: RabbitNode): Promise<void> {
  const proxy = w.toxiproxy;
  if (!proxy) throw new Error('this fault needs toxiproxy');
  await Promise.all(w.stack.proxies('amqp').map((p) => proxy.retarget(p, `127.0.0.1:${node.port}`)));
}

export const clusterLeaderKill: FaultDef = {
  name: 'cluster-leader-kill',
  summary:
    'a three-node RabbitMQ cluster of the run’s own, quorum partitions replicated on all three; the node leading the most partitions, which the services are connected to, is killed (-9) and started again',
  setup: { broker: 'cluster', proxied: ['amqp'] },
  async prepare(w) {
    const seed = w.rabbit[0];
    if (!seed) throw new Error('no cluster');
    await seed.ctl(['rebalance', 'quorum'], 'rabbitmq-queues', 120_000);
    const counts = countByNode(await leaders(w, seed));
    w.facts.leadersBefore = counts;
    w.log(`partition leaders after rebalancing: ${JSON.stringify(counts)}`);
    // The worst node to lose: it leads the most partitions and every service is connected to it (and an
    // earlier release's classic request queues lived there).
    const busiest = Object.entries(counts).sort((a, b) => b[1] - a[1])[0]?.[0];
    victim = w.rabbit.find((n) => n.node === busiest) ?? seed;
    if (victim !== seed) {
      await balanceTo(w, victim);
      await w.stack.waitReady();
    }
    w.log(`the services are connected to ${victim.node}`);
  },
  async inject(w) {
    if (!victim) throw new Error('no victim chosen');
    const counts = countByNode(await leaders(w, victim));
    w.facts.leadersAtKill = counts;
    w.facts.killedNode = victim.node;
    w.log(`kill -9 of ${victim.node} (leads ${counts[victim.node] ?? 0} of ${w.stack.partitions} partitions)`);
    w.markInjected();
    await victim.kill();
    // the services' broker address pointed at the dead node: the load balancer moves them on
    const survivor = w.rabbit.find((n) => n !== victim);
    if (!survivor) return;
    await balanceTo(w, survivor);
    await new Promise((r) => setTimeout(r, 3000));
    w.facts.leadersAfterKill = countByNode(await leaders(w, survivor).catch(() => ({})));
  },
  async heal(w) {
    if (!victim) return;
    const p = await victim.start();
    w.track(`${victim.node.split('@')[0]}`, p.pid);
  },
};
