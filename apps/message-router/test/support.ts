/**
 * A router stack for the integration suites: its own namespace, database and port; the router(s) as
 * separate processes (the built dist/main.js); an AMQP client that plays the gateway (publishes to the
 * partition queues, listens on room keys and on its reply queue); and clean-up of all of it.
 */
import { randomUUID } from 'node:crypto';
import { Header, type InboundRead, type InboundSend, partitionOf, topology as topologyOf } from '@coffeechat/contracts';
import {
  eventually,
  freePort,
  mongoUrlFor,
  type ServiceProcess,
  servers,
  serviceEnv,
  startService,
  tokenFor,
  uniqueNamespace,
} from '@coffeechat/testkit';
import amqp, { type ChannelModel, type ConfirmChannel, type ConsumeMessage } from 'amqplib';
import { type Db, MongoClient } from 'mongodb';

export interface Frame {
  type: string;
  roomId?: string;
  seq?: number;
  clientMsgId?: string;
  [key: string]: unknown;
}

export interface Received {
  amqpType: string | undefined;
  headers: Record<string, unknown>;
  frame: Frame;
}

export class Stack {
  readonly topology;
  readonly routers: ServiceProcess[] = [];
  private amqp!: ChannelModel;
  ch!: ConfirmChannel;
  mongo!: MongoClient;
  db!: Db;
  /** the gateway-like queue: reply-to of our sends, bound to the rooms we `watch` */
  replyQueue = '';
  readonly received: Received[] = [];

  constructor(
    readonly namespace: string,
    readonly database: string,
    readonly partitions: number,
  ) {
    this.topology = topologyOf(namespace);
  }

  get env(): Record<string, string> {
    return {
      ...serviceEnv(this.namespace, this.database),
      ROUTER_PARTITIONS: String(this.partitions),
      LOG_LEVEL: 'warn',
    };
  }

  /** the HTTP port of the first router still running */
  get port(): number {
    const router = this.routers.find((r) => r.child.exitCode === null && r.child.signalCode === null);
    if (!router) throw new Error('no router running');
    return router.port;
  }

  async startRouter(extraEnv: Record<string, string> = {}): Promise<ServiceProcess> {
    const router = await startService('message-router', await freePort(), { ...this.env, ...extraEnv });
    this.routers.push(router);
    return router;
  }

  async connect(): Promise<void> {
    this.amqp = await amqp.connect(servers.amqpUrl);
    this.ch = await this.amqp.createConfirmChannel();
    this.ch.on('error', () => undefined);
    // named like a gateway's queue: the router answers a send's errors only there
    const { queue } = await this.ch.assertQueue(this.topology.gatewayQueue(`test-${randomUUID().slice(0, 8)}`), {
      exclusive: true,
      autoDelete: true,
    });
    this.replyQueue = queue;
    await this.ch.consume(
      queue,
      (msg: ConsumeMessage | null) => {
        if (!msg) return;
        const headers = msg.properties.headers ?? {};
        const frame = JSON.parse(msg.content.toString('utf8')) as Frame;
        this.received.push({ amqpType: msg.properties.type as string | undefined, headers, frame });
        // As the sender's gateway does: a message frame answering a send acks it.
        const connId = headers[Header.connId];
        if (frame.type === 'message' && typeof connId === 'string') {
          const ack = {
            type: 'ack',
            roomId: frame.roomId,
            clientMsgId: frame.clientMsgId,
            seq: frame.seq,
            ts: frame.ts,
          };
          this.received.push({ amqpType: 'ack (from the message frame)', headers, frame: ack as Frame });
        }
      },
      { noAck: true },
    );
    this.mongo = await MongoClient.connect(mongoUrlFor(this.database));
    this.db = this.mongo.db();
  }

  /** Another channel on the test's connection (e.g. for the direct reply-to). */
  channel() {
    return this.amqp.createChannel();
  }

  /** Binds our queue to the rooms' delivery keys, as a gateway does when a socket joins. */
  async watch(roomIds: readonly string[]): Promise<void> {
    for (const roomId of roomIds)
      await this.ch.bindQueue(this.replyQueue, this.topology.deliveryExchange, this.topology.roomKey(roomId));
  }

  sendPayload(roomId: string, senderId: string, clientMsgId: string, body = `body ${clientMsgId}`): InboundSend {
    return {
      kind: 'send',
      roomId,
      senderId,
      clientMsgId,
      body,
      replyTo: this.replyQueue,
      connId: `conn-${senderId}`,
      receivedAt: Date.now(),
    };
  }

  /** Publishes to the room's partition exactly as the gateway does (persistent, confirmed). */
  publish(payload: InboundSend | InboundRead | Buffer, roomId?: string): void {
    const room = Buffer.isBuffer(payload) ? roomId : payload.roomId;
    if (room === undefined) throw new Error('raw payloads need a room id to pick the partition');
    const content = Buffer.isBuffer(payload) ? payload : Buffer.from(JSON.stringify(payload));
    this.ch.publish(
      this.topology.inboundExchange,
      this.topology.partitionKey(partitionOf(room, this.partitions)),
      content,
      {
        persistent: true,
        contentType: 'application/json',
      },
    );
  }

  confirmed(): Promise<void> {
    return this.ch.waitForConfirms();
  }

  /**
   * `count` sends of `senderId` (clientMsgIds `<prefix>0`, `<prefix>1`, …) into a room we watch, stored: their
   * `message` frames arrived.
   */
  async storeMessages(roomId: string, senderId: string, count: number, prefix: string): Promise<void> {
    const expected = this.frames('message', roomId).length + count;
    for (let i = 0; i < count; i++) this.publish(this.sendPayload(roomId, senderId, `${prefix}${i}`));
    await this.confirmed();
    await eventually(() => {
      const got = this.frames('message', roomId).length;
      if (got < expected) throw new Error(`${got} of ${expected} messages of ${roomId} stored`);
    }, 30_000);
  }

  frames(type: string, roomId?: string): Frame[] {
    return this.received
      .filter((r) => r.frame.type === type && (roomId === undefined || r.frame.roomId === roomId))
      .map((r) => r.frame);
  }

  async http(
    method: string,
    path: string,
    { token, body, raw }: { token?: string; body?: unknown; raw?: string } = {},
  ) {
    const res = await fetch(`http://127.0.0.1:${this.port}${path}`, {
      method,
      headers: {
        ...(token ? { authorization: `Bearer ${token}` } : {}),
        ...(body !== undefined || raw ? { 'content-type': 'application/json' } : {}),
      },
      ...(raw !== undefined ? { body: raw } : body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return {
      status: res.status,
      body: text
        ? (JSON.parse(text) as Record<string, unknown> & { error?: { code: string; message: string; field?: string } })
        : undefined,
    };
  }

  async createRoom(roomId: string, memberIds: string[], extra: Record<string, unknown> = {}): Promise<void> {
    const res = await this.http('POST', '/rooms', { token: await admin(), body: { roomId, memberIds, ...extra } });
    if (res.status !== 201) throw new Error(`create room ${roomId}: ${res.status} ${JSON.stringify(res.body)}`);
  }

  async stop(): Promise<void> {
    await Promise.all(this.routers.map((r) => r.stop()));
    const t = this.topology;
    try {
      const ch = await this.amqp.createChannel();
      ch.on('error', () => undefined);
      for (let p = 0; p < this.partitions; p++) await ch.deleteQueue(t.inboundQueue(p));
      for (const q of [t.deadQueue, t.routerRpcQueue]) await ch.deleteQueue(q);
      for (const x of [t.inboundExchange, t.deadLetterExchange, t.deliveryExchange, t.eventsExchange])
        await ch.deleteExchange(x);
      await this.amqp.close();
    } catch {
      // best effort: the namespace is unique to this run anyway
    }
    await this.db?.dropDatabase().catch(() => undefined);
    await this.mongo?.close();
  }
}

export async function createStack(label: string, { partitions = 4 } = {}): Promise<Stack> {
  const namespace = uniqueNamespace(label);
  const stack = new Stack(namespace, `mr_${namespace}`, partitions);
  await stack.connect();
  return stack;
}

export const admin = () => tokenFor('ops-admin', { admin: true });
export const user = (userId: string) => tokenFor(userId);
