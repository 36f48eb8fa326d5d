/**
 * Builds the feed from its parts and starts it: stores, caches, rankings, the events consumer and the
 * HTTP server. `main.ts` calls it with the parsed config; integration tests call it in-process.
 * `stop()` is the graceful shutdown of SPEC §2.
 */
import { cachingVerifier, createVerifier } from '@coffeechat/auth';
import type { Logger, Metrics, RunningService } from '@coffeechat/service-kit';
import { connectBroker, createMetrics, runSteps, startHttpApi } from '@coffeechat/service-kit';
import { Redis } from 'ioredis';
import { type EventsConsumer, startEventsConsumer } from './amqp/events-consumer.js';
import { ChatEngagement } from './chat-engagement.js';
import { type Clock, systemClock } from './clock.js';
import { CoalescedBumps } from './coalesced-bumps.js';
import type { FeedConfig } from './config.js';
import { EngagementRecorder } from './engagement.js';
import { feedMetrics } from './feed-metrics.js';
import { feedRoutes } from './http/routes.js';
import { backendUnavailable } from './http/unavailable.js';
import { connectDatabase, type Database } from './mongo/database.js';
import { mongoEngagementStore } from './mongo/engagement-store.js';
import { mongoLikesStore } from './mongo/likes-store.js';
import { mongoPostsStore } from './mongo/posts-store.js';
import { PostReader } from './post-reader.js';
import { PostsService } from './posts-service.js';
import { RankingsRecovery } from './rankings-recovery.js';
import { ReadsService } from './reads-service.js';
import { redisEngagementGuards } from './redis/engagement-guards.js';
import { feedKeys } from './redis/keys.js';
import { noPageCache, redisPageCache } from './redis/page-cache.js';
import { noPostCache, redisPostCache } from './redis/post-cache.js';
import { redisRankingsRebuildStore } from './redis/rankings-rebuild-store.js';
import { redisRankingsStore } from './redis/rankings-store.js';

/** A like shows in the ranked pages within this (SPEC §5: 1 s); a replica recomputes them at most 4 times a second. */
const RANK_BUMP_WINDOW_MS = 250;
/** Start-up waits this long for the first rankings check (a rebuild, if Redis lost them); then it goes on in the background. */
const FIRST_CHECK_WAIT_MS = 20_000;

export interface Feed extends RunningService {
  port: number;
  database: Database;
  redis: Redis;
  metrics: Metrics;
  consumer: EventsConsumer;
  recovery: RankingsRecovery;
}

export async function startFeed(config: FeedConfig, logger: Logger, clock: Clock = systemClock): Promise<Feed> {
  const metrics = createMetrics('feed');
  const fm = feedMetrics(metrics);
  const ns = config.namespace;
  const keys = feedKeys(ns);

  const database = await connectDatabase(config.mongoUrl, (name) => fm.dbCommand(name));
  const redis = new Redis(config.redisUrl, { maxRetriesPerRequest: 2, enableAutoPipelining: true });
  redis.on('error', (err: Error) => logger.warn({ err: err.message }, 'redis error'));
  await redis.ping();
  const broker = connectBroker(config.amqpUrl, logger, 'feed');

  const store = await mongoPostsStore(database.db);
  const likes = await mongoLikesStore(database.db);
  const points = await mongoEngagementStore(database.db);
  const rankings = redisRankingsStore(redis, keys);
  const guards = redisEngagementGuards(redis, keys);
  const pages = config.cache ? redisPageCache(redis, keys) : noPageCache;
  const postCache = config.cache ? redisPostCache(redis, keys) : noPostCache;
  const reader = new PostReader(postCache, store, fm, config.cache);
  const engagement = new EngagementRecorder(store, reader, points, rankings, clock);
  const recovery = new RankingsRecovery({
    rankings,
    rebuild: redisRankingsRebuildStore(redis, keys),
    points,
    pages,
    metrics: fm,
    logger,
    clock,
  });
  redis.on('ready', () => recovery.nudge('redis connection ready'));
  const firstCheck = recovery.start();
  await Promise.race([firstCheck, new Promise((r) => setTimeout(r, FIRST_CHECK_WAIT_MS).unref())]);
  const rankBumps = new CoalescedBumps(
    (g) => pages.bump(g),
    RANK_BUMP_WINDOW_MS,
    (err) => logger.warn({ err }, 'ranked pages not invalidated'),
  );
  const posts = new PostsService({ store, likes, reader, pages, guards, engagement, rankBumps, clock });
  const reads = new ReadsService({
    store,
    reader,
    pages,
    rankings,
    metrics: fm,
    clock,
    cacheEnabled: config.cache,
    onRankingsMissing: () => recovery.nudge('a ranked read found the rankings missing'),
  });
  const consumer = await startEventsConsumer(broker, ns, new ChatEngagement(guards, engagement, clock), fm, logger);

  const http = await startHttpApi({
    logger,
    metrics,
    allowedOrigins: config.allowedOrigins,
    ready: () => consumer.isReady() && redis.status === 'ready' && database.isUp(),
    port: config.port,
    auth: { verify: cachingVerifier(createVerifier(config.auth), clock), service: 'feed', config },
    routes: (app, auth) => {
      // pages are assembled per request; hashing each body for an ETag would cost more than it saves
      app.set('etag', false);
      feedRoutes(app, auth, posts, reads);
      app.use(backendUnavailable);
    },
  });
  logger.info({ port: http.port, cache: config.cache ? 'on' : 'off' }, 'feed listening');

  return {
    port: http.port,
    database,
    redis,
    metrics,
    consumer,
    recovery,
    stop: () =>
      runSteps(logger, [
        () => http.close(),
        () => consumer.stop(),
        () => recovery.stop(),
        () => rankBumps.flush(),
        () => broker.close(),
        () => redis.quit(),
        () => database.close(),
      ]),
  };
}
