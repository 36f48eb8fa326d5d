/**
 * Builds the presence service from its parts and starts it: Redis, the broker, the input consumer, the
 * query server, the expiry sweeper, the change outbox and the HTTP API. `main.ts` calls it with the
 * parsed config; tests may call it in-process. `stop()` is the graceful shutdown of SPEC §2.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { cachingVerifier, createVerifier } from '@coffeechat/auth';
import { heartbeatIntervalMs, presenceTopology } from '@coffeechat/contracts';
import type { Logger, Metrics, RunningService } from '@coffeechat/service-kit';
import { connectBroker, createMetrics, runSteps, startHttpApi } from '@coffeechat/service-kit';
import { ChangePublisher } from './amqp/change-publisher.js';
import { InputConsumer } from './amqp/input-consumer.js';
import { queryServer } from './amqp/query-server.js';
import { CatchUp } from './catch-up.js';
import type { PresenceConfig } from './config.js';
import { addPresenceRoutes } from './http/presence-routes.js';
import { createInputHandler } from './input-handler.js';
import { createPresenceMetrics } from './metrics.js';
import { createRedis } from './redis/client.js';
import { presenceKeys } from './redis/keys.js';
import { Outbox } from './redis/outbox.js';
import { PresenceStore } from './redis/presence-store.js';
import { Sweeper } from './sweeper.js';
import { presenceTiming } from './timing.js';

export interface Presence extends RunningService {
  port: number;
  replicaId: string;
  metrics: Metrics;
}

export async function startPresence(config: PresenceConfig, logger: Logger): Promise<Presence> {
  const replicaId = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  const names = presenceTopology(config.namespace);
  const keys = presenceKeys(config.namespace);
  const timing = presenceTiming(config.ttlSec, config.graceMs);

  const redis = createRedis(config.redisUrl, logger, `presence-${replicaId}`);
  const blockingRedis = createRedis(config.redisUrl, logger, `presence-outbox-${replicaId}`);
  const store = new PresenceStore(redis, keys, timing);
  const broker = connectBroker(config.amqpUrl, logger, `presence-${replicaId}`);
  const baseMetrics = createMetrics('presence');
  const metrics = createPresenceMetrics(baseMetrics, () => store.counts());

  const catchUp = new CatchUp(Date.now(), heartbeatIntervalMs(config.ttlSec));
  const sweeper = new Sweeper({
    sweep: () => store.sweep(catchUp.caughtUp(Date.now())),
    everyMs: timing.sweepEveryMs,
    logger,
    onSwept: ({ lagsMs }) => {
      for (const lag of lagsMs) metrics.sweepLagSeconds.observe(lag / 1000);
    },
  });
  const publisher = new ChangePublisher(broker, names, (change) => metrics.transitions.inc({ status: change.status }));
  const outbox = new Outbox({
    blocking: blockingRedis,
    redis,
    keys,
    consumer: replicaId,
    logger,
    publish: (changes) => publisher.publish(changes),
  });
  const input = new InputConsumer({
    broker,
    names,
    logger,
    apply: createInputHandler({ store, sweeper, metrics, logger, graceMs: timing.graceMs, catchUp }),
    onMalformed: () => metrics.deadLetters.inc({ queue: 'input' }),
  });
  const queries = queryServer({
    broker,
    names,
    logger,
    read: (userIds) => store.read(userIds),
    onMalformed: () => metrics.deadLetters.inc({ queue: 'rpc' }),
    onAnswered: () => metrics.queries.inc({ via: 'rpc' }),
  });

  const http = await startHttpApi({
    logger,
    metrics: baseMetrics,
    allowedOrigins: config.allowedOrigins,
    ready: () => broker.isReady() && redis.status === 'ready' && blockingRedis.status === 'ready',
    port: config.port,
    auth: { verify: cachingVerifier(createVerifier(config.auth)), service: 'presence', config },
    routes: (app, auth) =>
      addPresenceRoutes(app, {
        auth,
        read: (userIds) => store.read(userIds),
        onQuery: () => metrics.queries.inc({ via: 'http' }),
      }),
  });
  // Consumers attach in their channels' set-up, once the broker is reachable and again after every reconnect.
  input.start();
  queries.start();
  sweeper.start();
  outbox.start();
  logger.info({ port: http.port, ttlSec: config.ttlSec, graceMs: config.graceMs, replicaId }, 'presence listening');

  return {
    port: http.port,
    replicaId,
    metrics: baseMetrics,
    stop: () =>
      runSteps(logger, [
        () => http.close(),
        () => Promise.all([input.stop(), queries.stop()]),
        () => sweeper.stop(),
        // Sweeps above may have recorded transitions; the outbox publishes what it holds before stopping,
        // and whatever it does not get to stays in the stream for the other replicas.
        () => outbox.stop(),
        () => publisher.close(),
        () => broker.close(),
        () => redis.quit(),
      ]),
  };
}
