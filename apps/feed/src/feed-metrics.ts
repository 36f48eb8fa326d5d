/**
 * The feed's own metrics. Labels come from fixed sets (never an id): the hit ratio of a cache is
 * hits / (hits + misses); `loads` counts what actually went to the stores after single-flight.
 */
import type { Metrics } from '@coffeechat/service-kit';
import { Counter } from 'prom-client';
import type { PageKind } from './redis/keys.js';

export type CacheName = 'post' | PageKind;
export type EventName = 'message.stored' | 'room.created';
export type EventOutcome = 'counted' | 'capped' | 'duplicate' | 'ignored' | 'rejected' | 'retried';

const DB_COMMANDS = new Set(['find', 'insert', 'update', 'delete', 'findAndModify', 'createIndexes', 'getMore']);

export interface FeedMetrics {
  cacheHits(cache: CacheName, n?: number): void;
  cacheMisses(cache: CacheName, n?: number): void;
  cacheLoad(cache: CacheName): void;
  dbCommand(name: string): void;
  event(name: EventName, outcome: EventOutcome): void;
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
  };
}
