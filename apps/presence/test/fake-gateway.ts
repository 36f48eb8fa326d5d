/**
 * What a gateway does on the broker, played by the tests: connection events, a batched heartbeat per
 * interval (stopping it without disconnects is a crash), a watcher bound to users' changes, and the
 * presence query over the direct reply-to.
 */
import { randomUUID } from 'node:crypto';
import {
  heartbeatIntervalMs,
  type PresenceChange,
  type PresenceInput,
  PresenceMessageType,
  type PresenceQueryReply,
  type PresenceTopology,
  presenceKey,
} from '@coffeechat/contracts';
import type { Channel, ChannelModel, ConfirmChannel } from 'amqplib';

export class FakeGateway {
  readonly conns = new Map<string, string>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly gatewayId: string,
    private readonly channel: ConfirmChannel,
    private readonly names: PresenceTopology,
    private readonly ttlSec: number,
  ) {}

  async publish(input: PresenceInput | string): Promise<void> {
    const body = typeof input === 'string' ? input : JSON.stringify(input);
    const type = typeof input === 'string' ? 'junk' : PresenceMessageType[input.kind];
    this.channel.publish(this.names.inputExchange, '', Buffer.from(body), {
      contentType: 'application/json',
      type,
      persistent: true,
    });
    await this.channel.waitForConfirms();
  }

  async connect(userId: string, connId = randomUUID()): Promise<string> {
    this.conns.set(connId, userId);
    await this.publish({ kind: 'connected', gatewayId: this.gatewayId, connId, userId, at: Date.now() });
    return connId;
  }

  async disconnect(connId: string): Promise<void> {
    const userId = this.conns.get(connId);
    if (!userId) throw new Error(`unknown connection ${connId}`);
    this.conns.delete(connId);
    await this.publish({ kind: 'disconnected', gatewayId: this.gatewayId, connId, userId, at: Date.now() });
  }

  async beat(): Promise<void> {
    const conns = [...this.conns].map(([connId, userId]) => [userId, connId] as [string, string]);
    await this.publish({ kind: 'heartbeat', gatewayId: this.gatewayId, at: Date.now(), conns });
  }

  startBeating(): void {
    this.timer ??= setInterval(() => void this.beat().catch(() => undefined), heartbeatIntervalMs(this.ttlSec));
  }

  /** Stops beating without telling anyone: what presence sees of a `kill -9`. */
  crash(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

export interface ReceivedChange extends PresenceChange {
  receivedAt: number;
}

/** A gateway's queue bound to the changes of the users it watches. */
export class Watcher {
  readonly changes: ReceivedChange[] = [];

  private constructor(
    private readonly channel: Channel,
    private readonly queue: string,
    private readonly names: PresenceTopology,
  ) {}

  static async create(connection: ChannelModel, names: PresenceTopology): Promise<Watcher> {
    const channel = await connection.createChannel();
    await channel.assertExchange(names.changesExchange, 'direct', { durable: true });
    const { queue } = await channel.assertQueue('', { exclusive: true, autoDelete: true });
    const watcher = new Watcher(channel, queue, names);
    await channel.consume(
      queue,
      (msg) => {
        if (!msg) return;
        watcher.changes.push({ ...(JSON.parse(msg.content.toString()) as PresenceChange), receivedAt: Date.now() });
      },
      { noAck: true },
    );
    return watcher;
  }

  async watch(...userIds: string[]): Promise<void> {
    for (const userId of userIds)
      await this.channel.bindQueue(this.queue, this.names.changesExchange, presenceKey(userId));
  }

  of(userId: string): ReceivedChange[] {
    return this.changes.filter((c) => c.userId === userId);
  }

  statuses(userId: string): string[] {
    return this.of(userId).map((c) => `${c.status}:${c.version}`);
  }
}

/** The presence query a gateway makes for `joined.presence`, over the direct reply-to. */
export async function queryPresence(
  connection: ChannelModel,
  names: PresenceTopology,
  body: unknown,
): Promise<PresenceQueryReply> {
  const channel = await connection.createChannel();
  try {
    const correlationId = randomUUID();
    let resolve: (reply: PresenceQueryReply) => void = () => undefined;
    const reply = new Promise<PresenceQueryReply>((res, reject) => {
      resolve = res;
      setTimeout(() => reject(new Error('no presence reply within 5 s')), 5000).unref();
    });
    await channel.consume(
      'amq.rabbitmq.reply-to',
      (msg) => {
        if (msg?.properties.correlationId === correlationId)
          resolve(JSON.parse(msg.content.toString()) as PresenceQueryReply);
      },
      { noAck: true },
    );
    channel.sendToQueue(names.rpcQueue, Buffer.from(JSON.stringify(body)), {
      replyTo: 'amq.rabbitmq.reply-to',
      correlationId,
      expiration: '5000',
      contentType: 'application/json',
    });
    return await reply;
  } finally {
    await channel.close().catch(() => undefined);
  }
}
