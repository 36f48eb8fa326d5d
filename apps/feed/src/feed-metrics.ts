/**
 * The feed's own metrics. Labels come from fixed sets (never an id): the hit ratio of a cache is
 * hits / (hits + misses); `loads` counts what actually went to the stores after single-flight.
 */
import type { Metrics } from '@coffeechat/service-kit';
import { Counter, Gauge, Histogram } from 'prom-client';
import type { PageKind } from './redis/keys.js';

export type CacheName = 'post' | PageKind;
export type EventName = 'message.stored' | 'room.created';
export type EventOutcome = 'counted' | 'capped' | 'duplicate' | 'ignored' | 'rejected' | 'retried';
/** how a rankings rebuild ended: done, failed (a store call failed or timed out), or aborted (lost its lock, shutdown) */
export type RebuildOutcome = 'done' | 'failed' | 'aborted';

const DB_COMMANDS = new Set(['find', 'insert', 'update', 'delete', 'findAndModify', 'createIndexes', 'getMore']);

export interface FeedMetrics {
  cacheHits(cache: CacheName, n?: number): void;
  cacheMisses(cache: CacheName, n?: number): void;
  cacheLoad(cache: CacheName): void;
  dbCommand(name: string): void;
  event(name: EventName, outcome: EventOutcome): void;
  /** whether the last check found the rankings complete */
  rankingsIntact(intact: boolean): void;
  /** a rebuild that ran: its outcome, duration and the MongoDB records it read */
  rankingsRebuild(outcome: RebuildOutcome, seconds: number, records: number): void;
}

export function feedMetrics({ registry }: Metrics): FeedMetrics {
  const hits = new Counter({
    name: 'coffeechat_feed_cache_hits_total',
    help: 'Cache reads answered from Redis, by cache',
    labelNames: ['cache'],
    registers: [registry],
  });
  const misses = new Counter({
    name: 'coffeechat_feed_cache_misses_total',
    help: 'Cache reads that had to load, by cache',
    labelNames: ['cache'],
    registers: [registry],
  });
  const loads = new Counter({
    name: 'coffeechat_feed_cache_loads_total',
    help: 'Loads behind cache misses after single-flight (concurrent misses of one key share a load)',
    labelNames: ['cache'],
    registers: [registry],
  });
  const db = new Counter({
    name: 'coffeechat_feed_db_commands_total',
    help: 'MongoDB commands sent, by command (from driver command monitoring)',
    labelNames: ['command'],
    registers: [registry],
  });
  const events = new Counter({
    name: 'coffeechat_feed_events_total',
    help: 'Chat events consumed, by event and outcome',
    labelNames: ['event', 'outcome'],
    registers: [registry],
  });
  const intact = new Gauge({
    name: 'coffeechat_feed_rankings_intact',
    help: '1 while the Redis rankings hold everything MongoDB has, 0 after Redis lost them until a rebuild (as of the last check)',
    registers: [registry],
  });
  const rebuilds = new Counter({
    name: 'coffeechat_feed_rankings_rebuilds_total',
    help: 'Rebuilds of the Redis rankings from MongoDB by this replica, by outcome',
    labelNames: ['outcome'],
    registers: [registry],
  });
  const rebuildSeconds = new Histogram({
    name: 'coffeechat_feed_rankings_rebuild_seconds',
    help: 'Duration of the rankings rebuilds that completed',
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120],
    registers: [registry],
  });
  const rebuildRecords = new Counter({
    name: 'coffeechat_feed_rankings_rebuild_records_total',
    help: 'Engagement records read from MongoDB by rankings rebuilds',
    registers: [registry],
  });
  return {
    cacheHits: (cache, n = 1) => {
      if (n > 0) hits.inc({ cache }, n);
    },
    cacheMisses: (cache, n = 1) => {
      if (n > 0) misses.inc({ cache }, n);
    },
    cacheLoad: (cache) => loads.inc({ cache }),
    dbCommand: (name) => db.inc({ command: DB_COMMANDS.has(name) ? name : 'other' }),
    event: (event, outcome) => events.inc({ event, outcome }),
    rankingsIntact: (ok) => intact.set(ok ? 1 : 0),
    rankingsRebuild: (outcome, seconds, records) => {
      rebuilds.inc({ outcome });
      if (outcome === 'done') rebuildSeconds.observe(seconds);
      rebuildRecords.inc(records);
    },
  };
}
