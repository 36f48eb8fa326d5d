/**
 * Router request/reply on `<ns>.rpc.router` (competing consumers across routers): gateways ask here
 * whether a user may join a room and for the messages to replay. Replies go to the caller's direct
 * reply-to with its correlation id.
 */
import { type JoinReply, JoinRequest, type Topology, validator } from '@coffeechat/contracts';
import type { Broker, Logger } from '@coffeechat/service-kit';
import { traceConsume, tracePublish } from '@coffeechat/telemetry';
import type { ChannelWrapper } from 'amqp-connection-manager';
import type { Channel, ConsumeMessage } from 'amqplib';
import type { RouterMetrics } from '../metrics.js';

const joinRequest = validator(JoinRequest);

export interface RpcServer {
  stop(): Promise<void>;
}

export function startRpcServer(options: {
  broker: Broker;
  topology: Topology;
  answer: (request: JoinRequest) => Promise<JoinReply>;
  metrics: RouterMetrics;
  logger: Logger;
  prefetch?: number;
}): RpcServer {
  const { broker, topology, answer, metrics, logger, prefetch = 32 } = options;
  let current: { channel: Channel; consumerTag: string } | undefined;
  let stopped = false;
  const inFlight = new Set<Promise<void>>();

  const handle = async (ch: Channel, msg: ConsumeMessage) => {
    const { replyTo, correlationId } = msg.properties as { replyTo?: string; correlationId?: string };
    const reply = (body: JoinReply) => {
      if (replyTo) {
        tracePublish({ exchange: '', routingKey: replyTo, ...(correlationId ? { correlationId } : {}) }, (headers) =>
          ch.publish('', replyTo, Buffer.from(JSON.stringify(body)), {
            correlationId,
            contentType: 'application/json',
            headers,
          }),
        );
      }
    };
    let request: unknown;
    try {
      request = JSON.parse(msg.content.toString('utf8'));
    } catch {
      request = undefined;
    }
    const parsed = joinRequest.validate(request);
    if (!parsed.ok) {
      logger.warn({ reason: parsed.message }, 'invalid join request; dropped');
      metrics.dropped.inc({ queue: 'rpc' });
      metrics.rpc.inc({ outcome: 'invalid' });
      reply({ ok: false, code: 'BAD_REQUEST', message: parsed.message });
      ch.nack(msg, false, false);
      return;
    }
    try {
      const body = await answer(parsed.value);
      metrics.rpc.inc({ outcome: body.ok ? 'ok' : body.code });
      reply(body);
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'join request failed');
      metrics.rpc.inc({ outcome: 'UNAVAILABLE' });
      reply({ ok: false, code: 'UNAVAILABLE', message: 'chat store unavailable; try again' });
    }
    ch.ack(msg);
  };

  const wrapper: ChannelWrapper = broker.connection.createChannel({
    name: 'rpc',
    confirm: false,
    setup: async (ch: Channel) => {
      if (stopped) return;
      await ch.assertQueue(topology.routerRpcQueue, { durable: true });
      await ch.prefetch(prefetch);
      const { consumerTag } = await ch.consume(topology.routerRpcQueue, (msg) => {
        if (!msg) return;
        const task = traceConsume(msg, topology.routerRpcQueue, () => handle(ch, msg))
          .catch((err: unknown) => logger.warn({ err: (err as Error).message }, 'join reply failed'))
          .finally(() => inFlight.delete(task));
        inFlight.add(task);
      });
      current = { channel: ch, consumerTag };
    },
  });

  return {
    async stop() {
      stopped = true;
      if (current) await current.channel.cancel(current.consumerTag).catch(() => undefined);
      await Promise.all([...inFlight]);
      await wrapper.close();
    },
  };
}
