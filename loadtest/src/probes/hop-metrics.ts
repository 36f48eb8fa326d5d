/**
 * Where a message's time goes, from the services' own Prometheus histograms: read before and after
 * a step, the differences give each hop's mean over the step. The hops (apps' metrics):
 *   inbound queue  gateway publish → router receives (time waiting in the partition queue)
 *   store batch    router batch start → stored, published, confirmed, acked
 *   delivery       router stored → receiving gateway forwards to the room's sockets
 *   send → ack     at the sender's gateway, send frame in → ack frame out
 */
import { type Sample, sampleSum, scrapeMetrics } from '@coffeechat/testkit';

interface SumCount {
  sum: number;
  count: number;
}

export interface HopCounters {
  inboundQueue: SumCount;
  storeBatch: SumCount;
  batchSize: SumCount;
  delivery: SumCount;
  gatewaySendToAck: SumCount;
}

export interface HopBreakdown {
  inboundQueueMs: number | null;
  storeBatchMs: number | null;
  batchSize: number | null;
  deliveryMs: number | null;
  gatewaySendToAckMs: number | null;
}

const pair = (samples: readonly Sample[], name: string, where: Record<string, string> = {}): SumCount => ({
  sum: sampleSum(samples, `${name}_sum`, where),
  count: sampleSum(samples, `${name}_count`, where),
});

const add = (a: SumCount, b: SumCount): SumCount => ({ sum: a.sum + b.sum, count: a.count + b.count });
const zero = (): SumCount => ({ sum: 0, count: 0 });

export function countersOf(routers: readonly Sample[][], gateways: readonly Sample[][]): HopCounters {
  const c: HopCounters = {
    inboundQueue: zero(),
    storeBatch: zero(),
    batchSize: zero(),
    delivery: zero(),
    gatewaySendToAck: zero(),
  };
  for (const r of routers) {
    c.inboundQueue = add(c.inboundQueue, pair(r, 'coffeechat_hop_latency_seconds', { hop: 'inbound_queue' }));
    c.storeBatch = add(c.storeBatch, pair(r, 'coffeechat_router_store_latency_seconds'));
    c.batchSize = add(c.batchSize, pair(r, 'coffeechat_router_batch_size'));
  }
  for (const g of gateways) {
    c.delivery = add(c.delivery, pair(g, 'coffeechat_hop_latency_seconds', { hop: 'delivery' }));
    c.gatewaySendToAck = add(c.gatewaySendToAck, pair(g, 'coffeechat_gateway_send_ack_seconds'));
  }
  return c;
}

/** Means over the interval between two readings; null where nothing was observed or a process restarted. */
export function hopBreakdown(before: HopCounters, after: HopCounters): HopBreakdown {
  const mean = (k: keyof HopCounters, scale: number) => {
    const dc = after[k].count - before[k].count;
    const ds = after[k].sum - before[k].sum;
    if (dc <= 0 || ds < 0) return null;
    return Math.round((ds / dc) * scale * 100) / 100;
  };
  return {
    inboundQueueMs: mean('inboundQueue', 1000),
    storeBatchMs: mean('storeBatch', 1000),
    batchSize: mean('batchSize', 1),
    deliveryMs: mean('delivery', 1000),
    gatewaySendToAckMs: mean('gatewaySendToAck', 1000),
  };
}

/** Reads every router's and gateway's /metrics now (a process that does not answer counts as empty). */
export async function readHops(routerPorts: readonly number[], gatewayPorts: readonly number[]): Promise<HopCounters> {
  const scrape = (port: number) => scrapeMetrics(port).catch(() => [] as Sample[]);
  const [routers, gateways] = await Promise.all([
    Promise.all(routerPorts.map(scrape)),
    Promise.all(gatewayPorts.map(scrape)),
  ]);
  return countersOf(routers, gateways);
}
