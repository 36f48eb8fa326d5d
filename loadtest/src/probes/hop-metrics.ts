/**
 * Where a message's time goes, from the services' own Prometheus histograms: read before and after
 * a step, the differences give each hop's mean and, from the bucket counts, its p50 and p99 over the
 * step (interpolated within a bucket, so as coarse as the buckets). The hops (apps' metrics):
 *   inbound queue  gateway publish → router receives (time waiting in the partition queue)
 *   store          the router's insert of the batch (read markers beside it)
 *   publish        the router's publications until the broker confirmed them
 *   batch          router batch start → stored, published, confirmed, acked
 *   delivery       router stored → receiving gateway forwards to the room's sockets
 *   send → ack     at the sender's gateway, send frame in → ack frame out
 */
import { type Sample, scrapeMetrics } from '@coffeechat/testkit';

/** One histogram summed over processes: sum, count, and the cumulative count per bucket bound. */
interface HistogramReading {
  sum: number;
  count: number;
  buckets: Map<number, number>;
}

const HOPS = [
  'inboundQueue',
  'store',
  'publish',
  'storeBatch',
  'batchSize',
  'insertSize',
  'delivery',
  'gatewaySendToAck',
] as const;
export type Hop = (typeof HOPS)[number];
export type HopCounters = Record<Hop, HistogramReading>;

export interface HopStats {
  mean: number;
  p50: number | null;
  p99: number | null;
}
/** per hop, in ms (the batch size in messages); null where nothing was observed or a process restarted */
export type HopBreakdown = Record<Hop, HopStats | null>;

function reading(samples: readonly Sample[], name: string, where: Record<string, string> = {}): HistogramReading {
  const r: HistogramReading = { sum: 0, count: 0, buckets: new Map() };
  for (const s of samples) {
    if (!Object.entries(where).every(([k, v]) => s.labels[k] === v)) continue;
    if (s.name === `${name}_sum`) r.sum += s.value;
    else if (s.name === `${name}_count`) r.count += s.value;
    else if (s.name === `${name}_bucket`) {
      const le = s.labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(s.labels.le);
      r.buckets.set(le, (r.buckets.get(le) ?? 0) + s.value);
    }
  }
  return r;
}

function add(a: HistogramReading, b: HistogramReading): HistogramReading {
  const buckets = new Map(a.buckets);
  for (const [le, n] of b.buckets) buckets.set(le, (buckets.get(le) ?? 0) + n);
  return { sum: a.sum + b.sum, count: a.count + b.count, buckets };
}

const empty = (): HistogramReading => ({ sum: 0, count: 0, buckets: new Map() });

export function countersOf(routers: readonly Sample[][], gateways: readonly Sample[][]): HopCounters {
  const c = Object.fromEntries(HOPS.map((h) => [h, empty()])) as HopCounters;
  const into = (hop: Hop, r: HistogramReading) => {
    c[hop] = add(c[hop], r);
  };
  for (const r of routers) {
    into('inboundQueue', reading(r, 'coffeechat_hop_latency_seconds', { hop: 'inbound_queue' }));
    into('store', reading(r, 'coffeechat_router_batch_step_seconds', { step: 'store' }));
    into('publish', reading(r, 'coffeechat_router_batch_step_seconds', { step: 'publish' }));
    into('storeBatch', reading(r, 'coffeechat_router_store_latency_seconds'));
    into('batchSize', reading(r, 'coffeechat_router_batch_size'));
    into('insertSize', reading(r, 'coffeechat_router_insert_size'));
  }
  for (const g of gateways) {
    into('delivery', reading(g, 'coffeechat_hop_latency_seconds', { hop: 'delivery' }));
    into('gatewaySendToAck', reading(g, 'coffeechat_gateway_send_ack_seconds'));
  }
  return c;
}

/** The q-quantile of the observations between two cumulative bucket readings, linear within its bucket. */
function quantile(before: Map<number, number>, after: Map<number, number>, total: number, q: number): number | null {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const rank = q * total;
  let lower = 0;
  let below = 0;
  for (const le of bounds) {
    const cumulative = (after.get(le) ?? 0) - (before.get(le) ?? 0);
    if (cumulative >= rank) {
      if (!Number.isFinite(le)) return lower; // beyond the last bound: the bound is all we know
      const inBucket = cumulative - below;
      return inBucket > 0 ? lower + ((rank - below) / inBucket) * (le - lower) : le;
    }
    lower = le;
    below = cumulative;
  }
  return null;
}

/** Mean, p50 and p99 of each hop over the interval between two readings. */
export function hopBreakdown(before: HopCounters, after: HopCounters): HopBreakdown {
  const stats = (hop: Hop): HopStats | null => {
    const scale = hop === 'batchSize' || hop === 'insertSize' ? 1 : 1000;
    const dc = after[hop].count - before[hop].count;
    const ds = after[hop].sum - before[hop].sum;
    if (dc <= 0 || ds < 0) return null;
    const round = (x: number | null) => (x === null ? null : Math.round(x * scale * 100) / 100);
    return {
      mean: round(ds / dc) as number,
      p50: round(quantile(before[hop].buckets, after[hop].buckets, dc, 0.5)),
      p99: round(quantile(before[hop].buckets, after[hop].buckets, dc, 0.99)),
    };
  };
  return Object.fromEntries(HOPS.map((h) => [h, stats(h)])) as HopBreakdown;
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
