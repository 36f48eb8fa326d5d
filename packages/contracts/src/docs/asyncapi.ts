/**
 * AsyncAPI 3.0 documents built from the contracts' schemas: the broker traffic between services and
 * the WebSocket protocol of SPEC §4. docs.test.ts keeps the committed YAML in step with the code.
 */
import type { TSchema } from '@sinclair/typebox';
import {
  EventKey,
  GatewayMessageType,
  Header,
  InboundRead,
  InboundSend,
  JoinReply,
  JoinRequest,
  MembershipEvent,
  MessageStoredEvent,
  MessagesStoredEvent,
  RoomCreatedEvent,
  topology,
} from '../broker.js';
import { feedTopology } from '../feed.js';
import { ClientFrames, ServerFrames } from '../frames.js';
import {
  PresenceChange,
  PresenceConnected,
  PresenceDisconnected,
  PresenceHeartbeat,
  PresenceMessageType,
  PresenceQueryReply,
  PresenceQueryRequest,
  presenceTopology,
} from '../presence.js';
import { plain } from './json-schema.js';

type Messages = Record<string, { summary: string; payload: TSchema; headers?: object }>;

interface Channel {
  address: string;
  description: string;
  messages: Messages;
  /** what the service documented here does with it */
  action: 'send' | 'receive';
}

const INTEGER_HEADERS: string[] = [Header.seq, Header.sentAt, Header.storedAt];
const headers = (names: string[]) => ({
  type: 'object',
  properties: Object.fromEntries(names.map((n) => [n, { type: INTEGER_HEADERS.includes(n) ? 'integer' : 'string' }])),
});

function document(info: object, channels: Record<string, Channel>, extra: object = {}): Record<string, unknown> {
  const messages: Record<string, object> = {};
  const out: Record<string, object> = {};
  const operations: Record<string, object> = {};
  for (const [id, channel] of Object.entries(channels)) {
    const refs: Record<string, object> = {};
    for (const [name, m] of Object.entries(channel.messages)) {
      messages[name] = {
        name,
        summary: m.summary,
        contentType: 'application/json',
        payload: plain(m.payload),
        ...(m.headers ? { headers: m.headers } : {}),
      };
      refs[name] = { $ref: `#/components/messages/${name}` };
    }
    out[id] = { address: channel.address, description: channel.description, messages: refs };
    operations[`${channel.action}-${id}`] = {
      action: channel.action,
      channel: { $ref: `#/channels/${id}` },
      messages: Object.keys(refs).map((name) => ({ $ref: `#/channels/${id}/messages/${name}` })),
    };
  }
  return { asyncapi: '3.0.0', info, ...extra, channels: out, operations, components: { messages } };
}

export function buildBrokerAsyncApi(): Record<string, unknown> {
  const t = topology('{namespace}');
  const p = presenceTopology('{namespace}');
  const f = feedTopology('{namespace}');
  return document(
    {
      title: 'CoffeeChat broker traffic',
      version: '1.0.0',
      description:
        'RabbitMQ exchanges and queues between gateway, message-router, presence and feed. ' +
        '`{namespace}` is CC_NAMESPACE. See docs/internals.md for the flow. Every message may also carry ' +
        'the W3C trace context headers `traceparent` and `tracestate` (OpenTelemetry; one chat message is one trace).',
    },
    {
      inbound: {
        address: `${t.inboundExchange} / ${t.partitionKey(0).replace('0', '{partition}')}`,
        description: 'Gateway → partition queue of the room (direct exchange, key p<partitionOf(roomId)>).',
        action: 'send',
        messages: {
          InboundSend: {
            summary: 'a chat message to store and deliver',
            payload: InboundSend,
            headers: headers([Header.sentAt]),
          },
          InboundRead: { summary: 'a read marker to raise', payload: InboundRead, headers: headers([Header.sentAt]) },
        },
      },
      delivery: {
        address: `${t.deliveryExchange} / ${t.roomKey('{roomId}')}`,
        description: `Router or gateway → gateways bound to the room; AMQP type "${GatewayMessageType.roomFrame}", the body is the WebSocket frame forwarded as is.`,
        action: 'send',
        messages: {
          RoomMessageFrame: {
            summary: `the stored message frame; when it answers a send, ${Header.connId}, ${Header.clientMsgId} and ${Header.frameId} name the sender's connection, whose gateway acks the send from it`,
            payload: ServerFrames.message,
            headers: headers([
              Header.roomId,
              Header.seq,
              Header.sentAt,
              Header.storedAt,
              Header.connId,
              Header.clientMsgId,
              Header.frameId,
            ]),
          },
          RoomReadFrame: {
            summary: 'a raised read marker',
            payload: ServerFrames.read,
            headers: headers([Header.roomId]),
          },
          RoomTypingFrame: {
            summary: 'someone is typing (not stored)',
            payload: ServerFrames.typing,
            headers: headers([Header.roomId, Header.userId]),
          },
        },
      },
      gatewayReplies: {
        address: t.gatewayQueue('{gatewayId}'),
        description: `Router → one gateway (default exchange, key = the send's replyTo); AMQP type "${GatewayMessageType.connFrame}", forwarded to the connection named by ${Header.connId}. (A first send's ack has no publication of its own: it rides on the room's message frame; a resend of a stored message is acked here, to its sender only.)`,
        action: 'send',
        messages: {
          ErrorFrame: {
            summary: 'the send failed',
            payload: ServerFrames.error,
            headers: headers([Header.connId]),
          },
          AckFrame: {
            summary: 'a resend of a message stored before: its ack, for the sender only (the room had the message)',
            payload: ServerFrames.ack,
            headers: headers([Header.connId]),
          },
        },
      },
      membership: {
        address: `${t.eventsExchange} / membership.*`,
        description: `Router → gateways and routers (${EventKey.memberAdded}, ${EventKey.memberRemoved}); AMQP type "${GatewayMessageType.membership}".`,
        action: 'send',
        messages: { MembershipEvent: { summary: 'a member was added or removed', payload: MembershipEvent } },
      },
      roomCreated: {
        address: `${t.eventsExchange} / ${EventKey.roomCreated}`,
        description: 'Router → feed: a room was created (with the post it came from).',
        action: 'send',
        messages: { RoomCreatedEvent: { summary: 'a room was created', payload: RoomCreatedEvent } },
      },
      messagesStored: {
        address: `${t.eventsExchange} / ${EventKey.messagesStored}`,
        description: `Router → feed (queue ${f.eventsQueue}, dead letters in ${f.deadQueue}): the messages one partition batch stored (no bodies), one publication per batch.`,
        action: 'send',
        messages: { MessagesStoredEvent: { summary: 'chat activity in rooms', payload: MessagesStoredEvent } },
      },
      messageStored: {
        address: `${t.eventsExchange} / ${EventKey.messageStored}`,
        description: `Routers of earlier releases → feed: one stored message (no body). The feed still consumes it, so routers and feed can be upgraded in any order.`,
        action: 'send',
        messages: { MessageStoredEvent: { summary: 'chat activity in a room', payload: MessageStoredEvent } },
      },
      routerRpc: {
        address: t.routerRpcQueue,
        description:
          'Gateway → any router: join authorization and resume history; the reply goes to amq.rabbitmq.reply-to.',
        action: 'receive',
        messages: {
          JoinRequest: { summary: 'may this user join, and what did they miss', payload: JoinRequest },
          JoinReply: { summary: 'the answer', payload: JoinReply },
        },
      },
      presenceInput: {
        address: p.inputExchange,
        description: `Gateways → presence (queue ${p.inputQueue}, dead letters in ${p.deadQueue}): connection events at once, one heartbeat per gateway per interval; AMQP type ${Object.values(PresenceMessageType).slice(0, 3).join(' / ')}.`,
        action: 'send',
        messages: {
          PresenceConnected: { summary: 'a connection opened', payload: PresenceConnected },
          PresenceDisconnected: { summary: 'a connection closed cleanly', payload: PresenceDisconnected },
          PresenceHeartbeat: { summary: 'every connection open on the gateway', payload: PresenceHeartbeat },
        },
      },
      presenceChanges: {
        address: `${p.changesExchange} / u.{userId}`,
        description: `Presence → gateways bound for that user: one message per online/offline transition; AMQP type ${PresenceMessageType.change}.`,
        action: 'send',
        messages: { PresenceChange: { summary: 'a user went online or offline', payload: PresenceChange } },
      },
      presenceRpc: {
        address: p.rpcQueue,
        description:
          "Gateway → any presence replica: the current presence of a room's members (for `joined.presence`).",
        action: 'receive',
        messages: {
          PresenceQueryRequest: { summary: 'whose presence', payload: PresenceQueryRequest },
          PresenceQueryReply: { summary: 'the answer', payload: PresenceQueryReply },
        },
      },
    },
  );
}

export function buildWebSocketAsyncApi(): Record<string, unknown> {
  const client: Messages = {};
  for (const [type, schema] of Object.entries(ClientFrames))
    client[`client.${type}`] = { summary: `client → server ${type}`, payload: schema };
  const server: Messages = {};
  for (const [type, schema] of Object.entries(ServerFrames))
    server[`server.${type}`] = { summary: `server → client ${type}`, payload: schema };
  return document(
    {
      title: 'CoffeeChat WebSocket protocol',
      version: '1.0.0',
      description:
        'SPEC §4. Connect to ws://HOST:8080/ws?token=JWT (or Authorization: Bearer). 401 before the upgrade for a bad token, ' +
        '403 for an origin outside ALLOWED_ORIGINS, 429 past the open WebSockets allowed per user (10) or per address. ' +
        'JSON text frames, one object each; a frame over 64 KiB closes with 1009, binary frames or more than 50 bad ' +
        'frames a minute (BAD_REQUEST, NOT_A_MEMBER, NOT_JOINED and UNAUTHORIZED answers) close with 1008. A connection ' +
        'lives no longer than its token: `refresh` with a new token for the same user before `exp` (answer `refreshed`); ' +
        'at `exp` the gateway sends error TOKEN_EXPIRED and answers every frame but `refresh` and `ping` with it, and ' +
        'TOKEN_GRACE_SEC (10) after `exp` it closes with 4001.',
    },
    {
      clientFrames: {
        address: '/ws',
        description: 'frames the client sends',
        action: 'receive',
        messages: client,
      },
      serverFrames: {
        address: '/ws',
        description: 'frames the gateway sends',
        action: 'send',
        messages: server,
      },
    },
    { servers: { gateway: { host: '127.0.0.1:8080', protocol: 'ws', pathname: '/ws' } } },
  );
}
