/**
 * Broker traffic between services (RabbitMQ): names of exchanges, queues and routing keys, the
 * AMQP message types and headers, and the payload schemas. Every name is prefixed by a namespace
 * so test runs and stacks on one broker never see each other.
 */
import { type Static, Type } from '@sinclair/typebox';
import { WsErrorCode } from './errors.js';
import { exchange } from './exchanges.js';
import { SendFrame } from './frames.js';
import { StoredMessage } from './http.js';
import { Millis, PostId, RoomId, Seq, UserId } from './ids.js';

const strict = { additionalProperties: false } as const;

/** What a gateway id may be: it names the gateway's queues. */
export const GatewayIdPattern = /^[A-Za-z0-9_.:-]{1,64}$/;

/** The direct reply-to pseudo-queue: the only `replyTo` a request/reply server answers (docs/security.md). */
export const DIRECT_REPLY_TO = 'amq.rabbitmq.reply-to';
export const isDirectReplyTo = (replyTo: string | undefined): boolean =>
  replyTo !== undefined && (replyTo === DIRECT_REPLY_TO || replyTo.startsWith(`${DIRECT_REPLY_TO}.`));

export function topology(namespace: string) {
  const exchanges = {
    /** chat traffic into the partitions: routing key `partitionKey(p)`, one quorum queue per partition */
    inbound: exchange(`${namespace}.inbound`, 'direct'),
    /** the dead letters of every partition land in `deadQueue` */
    deadLetter: exchange(`${namespace}.dlx`, 'fanout'),
    /** room frames: routing key `roomKey(roomId)`; each gateway binds its own queue per joined room */
    delivery: exchange(`${namespace}.delivery`, 'direct'),
    /** membership and room events (`EventKey`), consumed by gateways, routers and feed */
    events: exchange(`${namespace}.events`, 'topic'),
  };
  return {
    exchanges,
    inboundExchange: exchanges.inbound.name,
    inboundQueue: (partition: number) => `${namespace}.inbound.p${partition}`,
    partitionKey: (partition: number) => `p${partition}`,
    deadLetterExchange: exchanges.deadLetter.name,
    deadQueue: `${namespace}.dead`,
    deliveryExchange: exchanges.delivery.name,
    roomKey: (roomId: string) => `room.${roomId}`,
    eventsExchange: exchanges.events.name,
    /** request/reply to any router (competing consumers), answered on the direct reply-to. */
    routerRpcQueue: `${namespace}.rpc.router`,
    gatewayQueue: (gatewayId: string) => `${namespace}.gw.${gatewayId}`,
    /** true for a gateway's queue of this namespace: the only `replyTo` of a send the router answers */
    isGatewayQueue: (queue: string) =>
      queue.startsWith(`${namespace}.gw.`) && GatewayIdPattern.test(queue.slice(`${namespace}.gw.`.length)),
    routerEventsQueue: (routerId: string) => `${namespace}.router.${routerId}.events`,
  };
}
export type Topology = ReturnType<typeof topology>;

/** Settings of every inbound partition queue (quorum, single active consumer, bounded redelivery). */
export const inboundQueueArguments = (deadLetterExchange: string) => ({
  'x-queue-type': 'quorum',
  'x-single-active-consumer': true,
  'x-delivery-limit': 5,
  'x-dead-letter-exchange': deadLetterExchange,
});

export const EventKey = {
  memberAdded: 'membership.added',
  memberRemoved: 'membership.removed',
  roomCreated: 'room.created',
  /** one event per router batch, listing its new messages (the broker carries one publication, not one per message) */
  messagesStored: 'messages.stored',
  /** one event per message, as routers before `messages.stored` published it; the feed still takes it */
  messageStored: 'message.stored',
} as const;

/** AMQP `type` property of what lands in a gateway's queue. */
export const GatewayMessageType = {
  /** a room frame (`message`, `read`, `typing`) to forward as is; headers `roomId`, maybe `seq`, `userId` */
  roomFrame: 'room-frame',
  /** a frame for one connection (`ack`, `error`); header `connId` */
  connFrame: 'conn-frame',
  /** a membership event (JSON `MembershipEvent`) */
  membership: 'membership',
} as const;

export const Header = {
  roomId: 'x-room-id',
  seq: 'x-seq',
  userId: 'x-user-id',
  /**
   * the connection a frame is for: on an `ack`/`error` sent to one connection, and on a room's `message`
   * frame that answers a send, the sender's connection (its gateway acks the send from that frame, so
   * the ack needs no publication of its own)
   */
  connId: 'x-conn-id',
  /** on a room's `message` frame answering a send: the send's `clientMsgId` and its frame `id` (if any), for the ack */
  clientMsgId: 'x-client-msg-id',
  frameId: 'x-frame-id',
  deadReason: 'x-dead-reason',
  /**
   * epoch ms, for latency metrics: on an inbound message, when the gateway published it (the inbound hop);
   * on a room's `message` frame, when the sender's gateway received the send (send→deliver)
   */
  sentAt: 'x-sent-at',
  /** on a room's `message` frame: when the router stored it (epoch ms, the frame's `ts`), for the delivery hop */
  storedAt: 'x-stored-at',
} as const;

// ---- inbound (gateway → router partition) ----
export const InboundSend = Type.Object(
  {
    kind: Type.Literal('send'),
    roomId: RoomId,
    senderId: UserId,
    // bounded as in the `send` frame they come from
    clientMsgId: SendFrame.properties.clientMsgId,
    body: SendFrame.properties.body,
    /** frame `id` to echo in the ack */
    id: Type.Optional(Type.String({ maxLength: 64 })),
    replyTo: Type.String({ minLength: 1 }),
    connId: Type.String({ minLength: 1 }),
    receivedAt: Millis,
  },
  strict,
);
export const InboundRead = Type.Object(
  { kind: Type.Literal('read'), roomId: RoomId, userId: UserId, seq: Seq },
  strict,
);
export const Inbound = Type.Union([InboundSend, InboundRead]);
export type InboundSend = Static<typeof InboundSend>;
export type InboundRead = Static<typeof InboundRead>;
export type Inbound = Static<typeof Inbound>;

// ---- router RPC (gateway → any router, direct reply-to) ----
export const JoinRequest = Type.Object(
  { kind: Type.Literal('join'), roomId: RoomId, userId: UserId, afterSeq: Type.Optional(Seq) },
  strict,
);
export type JoinRequest = Static<typeof JoinRequest>;
export const JoinReply = Type.Union([
  Type.Object(
    {
      ok: Type.Literal(true),
      roomId: RoomId,
      lastSeq: Seq,
      readSeq: Seq,
      members: Type.Array(UserId),
      /** messages with seq > afterSeq, ascending, at most `Limits.replayMax` (the newest ones) */
      replay: Type.Array(StoredMessage),
      truncated: Type.Boolean(),
    },
    strict,
  ),
  Type.Object(
    {
      ok: Type.Literal(false),
      code: Type.Union(Object.values(WsErrorCode).map((c) => Type.Literal(c))),
      message: Type.String(),
    },
    strict,
  ),
]);
export type JoinReply = Static<typeof JoinReply>;

// ---- events (router → gateways, routers, feed) ----
export const MembershipEvent = Type.Object(
  {
    kind: Type.Union([Type.Literal('added'), Type.Literal('removed')]),
    roomId: RoomId,
    userId: UserId,
    at: Millis,
  },
  strict,
);
export type MembershipEvent = Static<typeof MembershipEvent>;

export const RoomCreatedEvent = Type.Object(
  { roomId: RoomId, postId: Type.Union([PostId, Type.Null()]), memberIds: Type.Array(UserId), at: Millis },
  strict,
);
export type RoomCreatedEvent = Static<typeof RoomCreatedEvent>;

/** Published once per stored message; carries no body (consumers count activity, not content). */
export const MessageStoredEvent = Type.Object(
  {
    roomId: RoomId,
    postId: Type.Union([PostId, Type.Null()]),
    seq: Type.Integer({ minimum: 1 }),
    senderId: UserId,
    ts: Millis,
  },
  strict,
);
export type MessageStoredEvent = Static<typeof MessageStoredEvent>;

/** The new messages of one router batch (at most a batch: `ROUTER_BATCH_MAX` ≤ 1000). */
export const MessagesStoredEvent = Type.Object(
  { messages: Type.Array(MessageStoredEvent, { minItems: 1, maxItems: 1000 }) },
  strict,
);
export type MessagesStoredEvent = Static<typeof MessagesStoredEvent>;
