/**
 * Everything the router publishes, as values: the final frames (serialized once, forwarded by
 * gateways byte for byte), the events, and dead letters. No I/O here.
 */
import {
  type AckFrame,
  type ErrorFrame,
  EventKey,
  GatewayMessageType,
  Header,
  type InboundSend,
  type MembershipEvent,
  type MessageStoredEvent,
  type MessagesStoredEvent,
  messageFrameJson,
  type ReadEventFrame,
  type RoomCreatedEvent,
  type StoredMessage,
  type Topology,
  type WsErrorCode,
} from '@coffeechat/contracts';
import type { TraceContext } from '@coffeechat/telemetry';
import type { Options } from 'amqplib';

export type PublishOptions = Options.Publish;

export interface Publication {
  exchange: string;
  routingKey: string;
  content: Buffer;
  options: PublishOptions;
  /** the trace this publication continues: that of the inbound message it answers */
  trace?: TraceContext;
}

/** Where publications go (implemented in amqp/publisher.ts). */
export interface Publisher {
  /** resolves once the broker confirmed every publication; `PublishError` otherwise */
  publishAll(publications: readonly Publication[]): Promise<void>;
}

const json = (value: unknown) => Buffer.from(JSON.stringify(value));
const JSON_TYPE = 'application/json';

/**
 * The room's `message` frame, answering a send: it names the sender's connection (and the send's
 * `clientMsgId` and frame `id`), so the sender's gateway, bound to the room, acks the send from it and
 * the ack costs no publication of its own. `sentAt` (when the send reached its gateway) lets receiving
 * gateways measure send→deliver.
 */
export function roomMessage(topology: Topology, m: StoredMessage, send: InboundSend): Publication {
  return {
    exchange: topology.deliveryExchange,
    routingKey: topology.roomKey(m.roomId),
    content: Buffer.from(messageFrameJson(m)),
    options: {
      contentType: JSON_TYPE,
      type: GatewayMessageType.roomFrame,
      headers: {
        [Header.roomId]: m.roomId,
        [Header.seq]: m.seq,
        [Header.storedAt]: m.ts,
        [Header.sentAt]: send.receivedAt,
        [Header.connId]: send.connId,
        [Header.clientMsgId]: send.clientMsgId,
        ...(send.id !== undefined ? { [Header.frameId]: send.id } : {}),
      },
    },
  };
}

export function roomRead(topology: Topology, roomId: string, userId: string, seq: number): Publication {
  const frame: ReadEventFrame = { type: 'read', roomId, userId, seq };
  return {
    exchange: topology.deliveryExchange,
    routingKey: topology.roomKey(roomId),
    content: json(frame),
    options: { contentType: JSON_TYPE, type: GatewayMessageType.roomFrame, headers: { [Header.roomId]: roomId } },
  };
}

/** A frame for the one connection that sent `send`, through its gateway's queue. */
function toConnection(send: InboundSend, frame: ErrorFrame | AckFrame): Publication {
  return {
    exchange: '',
    routingKey: send.replyTo,
    content: json(frame),
    options: { contentType: JSON_TYPE, type: GatewayMessageType.connFrame, headers: { [Header.connId]: send.connId } },
  };
}

export function errorToSender(send: InboundSend, code: WsErrorCode, message: string): Publication {
  return toConnection(send, {
    type: 'error',
    code,
    message,
    ...(send.id !== undefined ? { id: send.id } : {}),
    roomId: send.roomId,
    clientMsgId: send.clientMsgId,
  });
}

/**
 * The ack of a client's resend of a message stored before, for the sender only: the room's members had
 * the message's frame when it was first stored, and putting it on the room again would reach each of
 * them twice (the sender's gateway settles its send in flight from this frame and forwards it).
 */
export function ackToSender(send: InboundSend, m: StoredMessage): Publication {
  return toConnection(send, {
    type: 'ack',
    ...(send.id !== undefined ? { id: send.id } : {}),
    roomId: m.roomId,
    clientMsgId: m.clientMsgId,
    seq: m.seq,
    ts: m.ts,
  });
}

function event(topology: Topology, key: string, payload: unknown, type: string): Publication {
  return {
    exchange: topology.eventsExchange,
    routingKey: key,
    content: json(payload),
    options: { contentType: JSON_TYPE, type, persistent: true },
  };
}

/** What the feed learns of one stored message (no body). */
export function storedActivity(m: StoredMessage, postId: string | null): MessageStoredEvent {
  return { roomId: m.roomId, postId, seq: m.seq, senderId: m.senderId, ts: m.ts };
}

/** The new messages of a batch as one event (one publication per batch, not one per message). */
export function messagesStored(topology: Topology, messages: MessageStoredEvent[]): Publication {
  const payload: MessagesStoredEvent = { messages };
  return event(topology, EventKey.messagesStored, payload, EventKey.messagesStored);
}

export function roomCreated(topology: Topology, payload: RoomCreatedEvent): Publication {
  return event(topology, EventKey.roomCreated, payload, EventKey.roomCreated);
}

export function membershipChanged(topology: Topology, payload: MembershipEvent): Publication {
  const key = payload.kind === 'added' ? EventKey.memberAdded : EventKey.memberRemoved;
  return event(topology, key, payload, GatewayMessageType.membership);
}

/** Headers RabbitMQ adds when it dead-letters; a replayed message starts clean without them. */
export const DEATH_HEADERS = ['x-death', 'x-first-death-exchange', 'x-first-death-queue', 'x-first-death-reason'];

/**
 * A message the router refuses, put on the dead-letter exchange with the reason in a header (a plain
 * `nack` cannot carry one). The routing key stays the partition's, as RabbitMQ's own dead-lettering does.
 */
export function deadLetter(
  topology: Topology,
  content: Buffer,
  original: { routingKey: string; properties: Options.Publish },
  reason: string,
): Publication {
  return {
    exchange: topology.deadLetterExchange,
    routingKey: original.routingKey,
    content,
    options: {
      ...original.properties,
      persistent: true,
      headers: { ...(original.properties.headers ?? {}), [Header.deadReason]: reason.slice(0, 500) },
    },
  };
}
