/**
 * Builds the message-router from its parts and starts it: MongoDB, the broker, a consumer per
 * partition, join requests, membership events, the backlog monitor and the HTTP API. `main.ts` calls it
 * with the parsed config; tests may call it in-process. `stop()` is the graceful shutdown of SPEC §2.
 */
import { randomBytes } from 'node:crypto';
import { cachingVerifier, createVerifier } from '@coffeechat/auth';
import { topology as topologyOf } from '@coffeechat/contracts';
import type { Logger, Metrics, RunningService } from '@coffeechat/service-kit';
import { connectBroker, createMetrics, runSteps, startHttpApi } from '@coffeechat/service-kit';
import { startBacklogMonitor } from './amqp/backlog-monitor.js';
import { DeadLetterAdmin } from './amqp/dead-letter-admin.js';
import { startEventsSubscriber } from './amqp/events-subscriber.js';
import { joinServer } from './amqp/join-server.js';
import { PartitionConsumers } from './amqp/partition-consumers.js';
import { createPublisher } from './amqp/publisher.js';
import type { RouterConfig } from './config.js';
import { chatRoutes } from './http/routes.js';
import { InsertCoalescer } from './insert-coalescer.js';
import { answerJoin } from './join.js';
import { PartitionMemberships } from './membership-cache.js';
import { createRouterMetrics } from './metrics.js';
import { connectDb } from './mongo/database.js';
import { MongoMessageRepository } from './mongo/message-repository.js';
import { MongoReadRepository } from './mongo/read-repository.js';
import { MongoRoomRepository } from './mongo/room-repository.js';
import { PartitionWorker } from './partition-worker.js';
import { readPositions } from './read-position.js';
import { type RoomPositions, RoomService } from './rooms.js';
import type { MessageRepository } from './store-sends.js';

export interface Router extends RunningService {
  port: number;
  routerId: string;
  metrics: Metrics;
}

export async function startRouter(config: RouterConfig, logger: Logger): Promise<Router> {
  const routerId = randomBytes(6).toString('hex');
  const metrics = createMetrics('message-router');
  const routerMetrics = createRouterMetrics(metrics.registry);
  const topology = topologyOf(config.namespace);

  const db = await connectDb(config.mongoUrl, logger);
  const messages = new MongoMessageRepository(db);
  // the partitions share one insert per turn of the event loop (or a few, up to the store's limit)
  const inserts = new InsertCoalescer(
    (batch, traces) => messages.insert(batch, traces),
    (size) => routerMetrics.insertSize.observe(size),
    db.dialect.insertLimit,
  );
  const partitionStore: MessageRepository = {
    findByKeys: (requests) => messages.findByKeys(requests),
    lastSeqs: (roomIds) => messages.lastSeqs(roomIds),
    insert: (batch, traces) => inserts.insert(batch, traces),
  };
  const roomStore = new MongoRoomRepository(db);
  const reads = new MongoReadRepository(db);
  const positions: RoomPositions = {
    lastSeqs: (roomIds) => messages.lastSeqs(roomIds),
    lastSentSeqs: (userId, roomIds) => messages.lastSentSeqs(userId, roomIds),
    markers: (userId, roomIds) => reads.markers(userId, roomIds),
  };

  const broker = connectBroker(config.amqpUrl, logger, `message-router-${routerId}`);
  const publisher = createPublisher(broker, topology);
  await publisher.channel.waitForConnect();

  const memberships = new PartitionMemberships(config.partitions, (ids) => roomStore.infos(ids));
  const invalidate = (roomId: string) => memberships.invalidate(roomId);
  const consumers = new PartitionConsumers({
    broker,
    topology,
    partitions: config.partitions,
    prefetch: config.prefetch,
    metrics: routerMetrics,
    logger,
    createWorker: (partition, settler) =>
      new PartitionWorker({
        partition,
        topology,
        batchMax: config.batchMax,
        membership: memberships.of(partition),
        messages: partitionStore,
        reads,
        publisher,
        settler,
        metrics: routerMetrics,
        logger,
      }),
  });
  const events = startEventsSubscriber({ broker, topology, routerId, invalidate, metrics: routerMetrics, logger });
  consumers.start();
  const joins = joinServer({
    broker,
    topology,
    metrics: routerMetrics,
    logger,
    answer: (request) =>
      answerJoin(request, {
        members: async (roomId) => (await roomStore.get(roomId))?.memberIds ?? null,
        lastSeq: async (roomId) => (await messages.lastSeqs([roomId])).get(roomId) ?? 0,
        readSeq: async (roomId, userId) => (await readPositions(positions, userId, [roomId])).get(roomId) ?? 0,
        replay: (roomId, afterSeq, max) => messages.replay(roomId, afterSeq, max),
        resume: (roomId, afterSeq, max) => messages.resume(roomId, afterSeq, max),
      }),
  });
  joins.start();
  const backlog = startBacklogMonitor({
    broker,
    topology,
    partitions: config.partitions,
    metrics: routerMetrics,
    logger,
  });
  const deadLetters = new DeadLetterAdmin({
    broker,
    topology,
    partitions: config.partitions,
    metrics: routerMetrics,
    logger,
  });
  const rooms = new RoomService({
    rooms: roomStore,
    positions,
    publisher,
    topology,
    maxMembers: config.roomMaxMembers,
    invalidate,
    logger,
  });

  await consumers.waitForConsumers();
  const http = await startHttpApi({
    logger,
    metrics,
    allowedOrigins: config.allowedOrigins,
    ready: () => broker.isReady() && db.isReachable(),
    port: config.port,
    auth: { verify: cachingVerifier(createVerifier(config.auth)), service: 'router', config },
    routes: (app, auth) => app.use(chatRoutes({ auth, rooms, messages, deadLetters })),
  });
  const { port } = http;
  logger.info(
    { port, partitions: config.partitions, routerId, namespace: config.namespace },
    'message-router listening',
  );

  return {
    port,
    routerId,
    metrics,
    stop: () =>
      runSteps(logger, [
        () => Promise.all([http.close(), consumers.stop(), joins.stop()]),
        () => Promise.all([events.stop(), backlog.stop()]),
        () => publisher.close(),
        () => broker.close(),
        () => db.close(),
      ]),
  };
}
