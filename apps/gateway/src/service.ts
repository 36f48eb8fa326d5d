/**
 * Builds the gateway from its parts and starts it: the broker connection, the room feed and router
 * client over it, presence, the rooms, joins and sends, the protocol and the uWS server. `main.ts` calls
 * it with the parsed config; tests may call it in-process. `stop()` is the graceful shutdown of SPEC §2.
 */
import { createTokenVerifier } from '@coffeechat/auth';
import { CloseCode, Limits, presenceTopology, topology as topologyOf } from '@coffeechat/contracts';
import {
  connectBroker,
  createMetrics,
  type Logger,
  type Metrics,
  type RunningService,
  runSteps,
} from '@coffeechat/service-kit';
import { AmqpRoomFeed } from './amqp/amqp-room-feed.js';
import { AmqpRouterClient } from './amqp/amqp-router-client.js';
import type { GatewayConfig } from './config.js';
import { ConnectionQuota } from './connection-quota.js';
import { JoinRefusals } from './join-refusals.js';
import { GatewayMetrics } from './metrics.js';
import { AmqpPresenceLink } from './presence/amqp-presence-link.js';
import { GatewayPresence } from './presence/gateway-presence.js';
import { ChatProtocol } from './protocol.js';
import { ConnectionBudgets } from './rate-limits.js';
import { Replies } from './replies.js';
import { roomEvents } from './room-events.js';
import { RoomHub } from './room-hub.js';
import { RoomJoins } from './room-joins.js';
import { SendsInFlight } from './sends-in-flight.js';
import { SessionRegistry } from './sessions.js';
import { TokenLifetimes } from './token-lifetime.js';
import { GatewayServer } from './ws/gateway-server.js';

/** `stop()`: stop accepting, close every socket with 1001, tell presence, close the broker connection. */
export interface Gateway extends RunningService {
  port: number;
  metrics: Metrics;
}

/** How long a join waits for presence: members fall back to what is known. */
const PRESENCE_QUERY_MS = 1500;
/** Lets the close frames leave before the broker connection (and then the process) goes. */
const CLOSE_FRAMES_MS = 200;

export async function startGateway(config: GatewayConfig, logger: Logger): Promise<Gateway> {
  const metrics = createMetrics('gateway');
  const gatewayMetrics = new GatewayMetrics(metrics);
  const topology = topologyOf(config.namespace);
  const queue = topology.gatewayQueue(config.gatewayId);
  const broker = connectBroker(config.amqpUrl, logger, `gateway ${config.gatewayId}`);
  const feed = new AmqpRoomFeed(
    broker,
    topology,
    { queue, timeoutMs: config.brokerTimeoutMs, lingerMs: config.bindingLingerMs },
    logger,
  );
  const router = new AmqpRouterClient(broker, topology, {
    replyTo: queue,
    partitions: config.partitions,
    timeoutMs: config.brokerTimeoutMs,
    logger,
  });
  const verifier = createTokenVerifier(config.auth);
  const server = new GatewayServer({
    port: config.port,
    allowedOrigins: config.allowedOrigins,
    heartbeatSec: config.heartbeatSec,
    sendBufferBytes: config.sendBufferBytes,
    maxReadBytes: config.maxReadBytes,
    verifier,
    quota: new ConnectionQuota({ perUser: config.connectionsPerUser, perIp: config.connectionsPerIp }),
    maxConnections: config.maxConnections,
    metrics,
    ready: () => feed.isUp(),
    logger,
  });
  const presence = new GatewayPresence({
    link: new AmqpPresenceLink(
      broker,
      presenceTopology(config.namespace),
      queue,
      Math.min(config.brokerTimeoutMs, PRESENCE_QUERY_MS),
      config.bindingLingerMs,
      logger,
    ),
    gatewayId: config.gatewayId,
    ttlSec: config.presenceTtlSec,
    metrics: gatewayMetrics,
    logger,
  });
  const sessions = new SessionRegistry(gatewayMetrics);
  const budgets = new ConnectionBudgets({
    sendsPerSecond: config.sendsPerSecond,
    typingPerSecond: config.typingPerSecond,
    joinsPerSecond: config.joinsPerSecond,
    readsPerSecond: config.readsPerSecond,
    badFramesPerMinute: Limits.badFramesPerMinute,
  });
  const replies = new Replies(gatewayMetrics, logger, budgets);
  const tokens = new TokenLifetimes({
    verify: verifier.verify,
    replies,
    metrics: gatewayMetrics,
    logger,
    graceSec: config.tokenGraceSec,
  });
  const refusals = new JoinRefusals(config.membershipCacheMs);
  const hub = new RoomHub({
    feed,
    router,
    topics: server.topics,
    metrics: gatewayMetrics,
    holdLimitBytes: config.sendBufferBytes,
  });
  const joins = new RoomJoins({
    hub,
    router,
    refusals,
    presence,
    replies,
    metrics: gatewayMetrics,
    replayLowWaterBytes: Math.floor(config.sendBufferBytes / 2),
    maxRoomsPerConnection: config.roomsPerConnection,
  });
  const sends = new SendsInFlight({
    router,
    hub,
    sessions,
    budgets,
    replies,
    metrics: gatewayMetrics,
    maxSendsInFlight: config.maxSendsInFlight,
    holdMs: config.sendHoldMs,
  });
  const chat = new ChatProtocol({
    sessions,
    joins,
    sends,
    feed,
    router,
    budgets,
    tokens,
    presence,
    replies,
    metrics: gatewayMetrics,
    logger,
    heartbeatSec: config.heartbeatSec,
  });
  feed.start(roomEvents({ hub, joins, sends, refusals, presence, logger }));
  router.start();
  presence.start();
  const port = await server.listen(chat);
  logger.info({ port }, 'gateway listening');

  return {
    port,
    metrics,
    stop: () =>
      runSteps(logger, [
        () => server.stopAccepting(),
        async () => {
          chat.closeAll(CloseCode.GOING_AWAY, 'server shutting down');
          await new Promise((r) => setTimeout(r, CLOSE_FRAMES_MS));
        },
        // the disconnect events of the sockets just closed reach presence: their users go offline at once
        () => presence.close(),
        () => Promise.all([feed.close(), router.close()]),
        () => broker.close(),
      ]),
  };
}
