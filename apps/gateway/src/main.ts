/** Wires the gateway: config, broker, protocol, uWS server, shutdown. */
// First: tracing hooks the libraries the imports below load.
import './instrument.js';
import { createVerifier } from '@coffeechat/auth';
import { CloseCode, Limits, presenceTopology, topology } from '@coffeechat/contracts';
import { connectBroker, createLogger, createMetrics, loadOrExit, onShutdown } from '@coffeechat/service-kit';
import { currentTelemetry } from '@coffeechat/telemetry';
import { AmqpChatBackend } from './amqp/amqp-chat-backend.js';
import { loadConfig } from './config.js';
import { MembershipCache } from './membership-cache.js';
import { GatewayMetrics } from './metrics.js';
import { AmqpPresenceLink } from './presence/amqp-presence-link.js';
import { GatewayPresence } from './presence/gateway-presence.js';
import { ChatProtocol } from './protocol.js';
import { ConnectionBudgets } from './rate-limits.js';
import { RoomHub } from './room-hub.js';
import { GatewayServer } from './ws/gateway-server.js';

const telemetry = currentTelemetry();
const config = loadOrExit(() => loadConfig(process.env));
const logger = createLogger('gateway', config.logLevel).child({ gatewayId: config.gatewayId });
const metrics = createMetrics('gateway');
const gatewayMetrics = new GatewayMetrics(metrics);
const broker = connectBroker(config.amqpUrl, logger, `gateway ${config.gatewayId}`);
const backend = new AmqpChatBackend(
  broker,
  topology(config.namespace),
  { gatewayId: config.gatewayId, partitions: config.partitions, timeoutMs: config.brokerTimeoutMs },
  logger,
);
const server = new GatewayServer({
  port: config.port,
  allowedOrigins: config.allowedOrigins,
  heartbeatSec: config.heartbeatSec,
  sendBufferBytes: config.sendBufferBytes,
  maxReadBytes: config.maxReadBytes,
  verify: createVerifier(config.auth),
  metrics,
  ready: () => backend.isUp(),
  logger,
});
const presence = new GatewayPresence({
  link: new AmqpPresenceLink(
    broker,
    presenceTopology(config.namespace),
    topology(config.namespace).gatewayQueue(config.gatewayId),
    // a join waits for this answer: keep it short, members fall back to what is known
    Math.min(config.brokerTimeoutMs, 1500),
    logger,
  ),
  gatewayId: config.gatewayId,
  ttlSec: config.presenceTtlSec,
  metrics: gatewayMetrics,
  logger,
});
const hub = new RoomHub(backend, server.topics, gatewayMetrics, config.sendBufferBytes);
const chat = new ChatProtocol({
  backend,
  hub,
  budgets: new ConnectionBudgets({
    sendsPerSecond: config.sendsPerSecond,
    typingPerSecond: config.typingPerSecond,
    badFramesPerMinute: Limits.badFramesPerMinute,
  }),
  membership: new MembershipCache(config.membershipCacheMs),
  presence,
  metrics: gatewayMetrics,
  logger,
  heartbeatSec: config.heartbeatSec,
  replayLowWaterBytes: Math.floor(config.sendBufferBytes / 2),
  maxSendsInFlight: config.maxSendsInFlight,
});
backend.start({
  roomFrame: (frame) => chat.roomFrame(frame),
  connFrame: (frame) => chat.connFrame(frame),
  membership: (e) => {
    chat.membership(e);
    presence.membership(e);
  },
  restored: () => {
    chat.brokerRestored();
    void hub.resync();
  },
});
presence.start();
const port = await server.listen(chat);
logger.info({ port, tracing: telemetry.description }, 'gateway listening');

onShutdown(logger, [
  () => server.stopAccepting(),
  async () => {
    chat.closeAll(CloseCode.GOING_AWAY, 'server shutting down');
    // Let the close frames leave before the broker connection (and then the process) goes.
    await new Promise((r) => setTimeout(r, 200));
  },
  // the disconnect events of the sockets just closed reach presence: their users go offline at once
  () => presence.close(),
  () => backend.close(),
  () => broker.close(),
  () => telemetry.shutdown(),
]);
