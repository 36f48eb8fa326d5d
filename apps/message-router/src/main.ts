/** Wires the message-router: config, MongoDB, RabbitMQ, partition consumers, RPC, events, HTTP. */
// First: tracing hooks the libraries the imports below load.
import './instrument.js';
import { randomBytes } from 'node:crypto';
import { cachingVerifier, createVerifier } from '@coffeechat/auth';
import { partitionOf, topology as topologyOf } from '@coffeechat/contracts';
import {
  closeServer,
  connectBroker,
  createHttpApp,
  createLogger,
  createMetrics,
  finishHttpApp,
  listen,
  loadOrExit,
  onShutdown,
} from '@coffeechat/service-kit';
import { currentTelemetry } from '@coffeechat/telemetry';
import { startBacklogMonitor } from './amqp/backlog-monitor.js';
import { DeadLetterAdmin } from './amqp/dead-letters.js';
import { startEventsSubscriber } from './amqp/events-subscriber.js';
import { joinServer } from './amqp/join-server.js';
import { PartitionConsumers } from './amqp/partition-consumers.js';
import { createPublisher } from './amqp/publisher.js';
import { loadConfig } from './config.js';
import { chatRoutes } from './http/routes.js';
import { answerJoin } from './join.js';
import { MembershipCache } from './membership-cache.js';
import { createRouterMetrics } from './metrics.js';
import { connectDb } from './mongo/database.js';
import { MongoMessageRepository } from './mongo/message-repository.js';
import { MongoReadRepository } from './mongo/read-repository.js';
import { MongoRoomRepository } from './mongo/room-repository.js';
import { PartitionWorker } from './partition-worker.js';
import { readPositions } from './read-position.js';
import { type RoomPositions, RoomService } from './rooms.js';

const telemetry = currentTelemetry();
const config = loadOrExit(() => loadConfig(process.env));
const logger = createLogger('message-router', config.logLevel);
const routerId = randomBytes(6).toString('hex');
const metrics = createMetrics('message-router');
const routerMetrics = createRouterMetrics(metrics.registry);
const topology = topologyOf(config.namespace);

const db = await connectDb(config.mongoUrl, logger);
const messages = new MongoMessageRepository(db);
const roomsRepo = new MongoRoomRepository(db);
const reads = new MongoReadRepository(db);
const positions: RoomPositions = {
  lastSeqs: (roomIds) => messages.lastSeqs(roomIds),
  lastSentSeqs: (userId, roomIds) => messages.lastSentSeqs(userId, roomIds),
  markers: (userId, roomIds) => reads.markers(userId, roomIds),
};

const broker = connectBroker(config.amqpUrl, logger, `message-router-${routerId}`);
const publisher = createPublisher(broker, topology);
await publisher.channel.waitForConnect();

const caches = Array.from({ length: config.partitions }, () => new MembershipCache((ids) => roomsRepo.infos(ids)));
const invalidate = (roomId: string) => caches[partitionOf(roomId, config.partitions)]?.invalidate(roomId);

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
      membership: caches[partition] as MembershipCache,
      messages,
      reads,
      publisher,
      settler,
      metrics: routerMetrics,
      logger,
    }),
});
const events = startEventsSubscriber({ broker, topology, routerId, invalidate, metrics: routerMetrics, logger });
consumers.start();
const rpc = joinServer({
  broker,
  topology,
  metrics: routerMetrics,
  logger,
  answer: (request) =>
    answerJoin(request, {
      members: async (roomId) => (await roomsRepo.get(roomId))?.memberIds ?? null,
      lastSeq: async (roomId) => (await messages.lastSeqs([roomId])).get(roomId) ?? 0,
      readSeq: async (roomId, userId) => (await readPositions(positions, userId, [roomId])).get(roomId) ?? 0,
      replay: (roomId, afterSeq, max) => messages.replay(roomId, afterSeq, max),
    }),
});
rpc.start().catch((err: unknown) => logger.error({ err }, 'join requests: could not start consuming'));
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
  rooms: roomsRepo,
  positions,
  publisher,
  topology,
  maxMembers: config.roomMaxMembers,
  invalidate,
  logger,
});

const app = createHttpApp({
  logger,
  metrics,
  allowedOrigins: config.allowedOrigins,
  ready: () => broker.isConnected() && db.isReachable(),
});
app.use(chatRoutes({ verify: cachingVerifier(createVerifier(config.auth)), rooms, messages, deadLetters }));
finishHttpApp(app, logger);
await consumers.waitForConsumers();
const server = await listen(app, config.port);
logger.info(
  {
    port: config.port,
    partitions: config.partitions,
    routerId,
    namespace: config.namespace,
    tracing: telemetry.description,
  },
  'message-router listening',
);

onShutdown(logger, [
  async () => {
    await Promise.all([closeServer(server), consumers.stop(), rpc.stop()]);
  },
  () => Promise.all([events.stop(), backlog.stop()]).then(() => undefined),
  () => publisher.close(),
  () => broker.close(),
  () => db.close(),
  () => telemetry.shutdown(),
]);
