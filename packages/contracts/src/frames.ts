/** WebSocket frames of SPEC §4, client → server and server → client. */
import { type Static, type TSchema, Type } from '@sinclair/typebox';
import { WsErrorCode } from './errors.js';
import { StoredMessage } from './http.js';
import { Millis, RoomId, Seq, UserId } from './ids.js';
import { Limits } from './limits.js';

const strict = { additionalProperties: false } as const;
const FrameId = Type.Optional(Type.String({ minLength: 1, maxLength: 64 }));

// ---- client → server ----
export const JoinFrame = Type.Object(
  { type: Type.Literal('join'), id: FrameId, roomId: RoomId, afterSeq: Type.Optional(Seq) },
  strict,
);
export const LeaveFrame = Type.Object({ type: Type.Literal('leave'), id: FrameId, roomId: RoomId }, strict);
export const SendFrame = Type.Object(
  {
    type: Type.Literal('send'),
    id: FrameId,
    roomId: RoomId,
    clientMsgId: Type.String({ minLength: 1, maxLength: Limits.clientMsgIdMax }),
    body: Type.String({ minLength: 1, maxLength: Limits.bodyMax }),
  },
  strict,
);
export const TypingFrame = Type.Object({ type: Type.Literal('typing'), id: FrameId, roomId: RoomId }, strict);
export const ReadFrame = Type.Object({ type: Type.Literal('read'), id: FrameId, roomId: RoomId, seq: Seq }, strict);
export const PingFrame = Type.Object({ type: Type.Literal('ping'), id: FrameId }, strict);
/** A new token for the same user, before the connection's expires (SPEC §3). */
export const RefreshFrame = Type.Object(
  { type: Type.Literal('refresh'), id: FrameId, token: Type.String({ minLength: 1, maxLength: Limits.tokenMax }) },
  strict,
);

export const ClientFrames = {
  join: JoinFrame,
  leave: LeaveFrame,
  send: SendFrame,
  typing: TypingFrame,
  read: ReadFrame,
  refresh: RefreshFrame,
  ping: PingFrame,
} as const satisfies Record<string, TSchema>;
export type ClientFrameType = keyof typeof ClientFrames;
export type ClientFrame = { [K in ClientFrameType]: Static<(typeof ClientFrames)[K]> }[ClientFrameType];
export type JoinFrame = Static<typeof JoinFrame>;
export type SendFrame = Static<typeof SendFrame>;
export type ReadFrame = Static<typeof ReadFrame>;
export type RefreshFrame = Static<typeof RefreshFrame>;

// ---- server → client ----
const Presence = Type.Union([Type.Literal('online'), Type.Literal('offline')]);
export const PresenceStatus = Presence;
export type PresenceStatus = Static<typeof Presence>;

export const HelloFrame = Type.Object(
  {
    type: Type.Literal('hello'),
    userId: UserId,
    connId: Type.String(),
    heartbeatSec: Type.Integer({ minimum: 1 }),
  },
  strict,
);
export const JoinedFrame = Type.Object(
  {
    type: Type.Literal('joined'),
    id: FrameId,
    roomId: RoomId,
    lastSeq: Seq,
    readSeq: Seq,
    members: Type.Array(UserId),
    presence: Type.Record(Type.String(), Presence),
    truncated: Type.Optional(Type.Boolean()),
  },
  strict,
);
export const LeftFrame = Type.Object({ type: Type.Literal('left'), id: FrameId, roomId: RoomId }, strict);
export const AckFrame = Type.Object(
  {
    type: Type.Literal('ack'),
    id: FrameId,
    roomId: RoomId,
    clientMsgId: Type.String(),
    seq: Type.Integer({ minimum: 1 }),
    ts: Millis,
  },
  strict,
);
/** A stored message as it reaches a member, live or replayed. */
export const MessageFrame = Type.Object({ type: Type.Literal('message'), ...StoredMessage.properties }, strict);
export const TypingEventFrame = Type.Object({ type: Type.Literal('typing'), roomId: RoomId, userId: UserId }, strict);
export const ReadEventFrame = Type.Object(
  { type: Type.Literal('read'), roomId: RoomId, userId: UserId, seq: Seq },
  strict,
);
export const PresenceFrame = Type.Object(
  { type: Type.Literal('presence'), userId: UserId, status: Presence, ts: Millis },
  strict,
);
export const RemovedFrame = Type.Object({ type: Type.Literal('removed'), roomId: RoomId }, strict);
export const PongFrame = Type.Object({ type: Type.Literal('pong'), id: FrameId }, strict);
/** The connection now lives until the new token's `exp` (seconds since the epoch). */
export const RefreshedFrame = Type.Object(
  { type: Type.Literal('refreshed'), id: FrameId, exp: Type.Integer({ minimum: 0 }) },
  strict,
);
export const ErrorFrame = Type.Object(
  {
    type: Type.Literal('error'),
    code: Type.Union(Object.values(WsErrorCode).map((c) => Type.Literal(c))),
    message: Type.String(),
    id: FrameId,
    roomId: Type.Optional(Type.String()),
    clientMsgId: Type.Optional(Type.String()),
  },
  strict,
);

export const ServerFrames = {
  hello: HelloFrame,
  joined: JoinedFrame,
  left: LeftFrame,
  ack: AckFrame,
  message: MessageFrame,
  typing: TypingEventFrame,
  read: ReadEventFrame,
  presence: PresenceFrame,
  removed: RemovedFrame,
  pong: PongFrame,
  refreshed: RefreshedFrame,
  error: ErrorFrame,
} as const satisfies Record<string, TSchema>;
export type ServerFrameType = keyof typeof ServerFrames;
export type ServerFrame = { [K in ServerFrameType]: Static<(typeof ServerFrames)[K]> }[ServerFrameType];
export type HelloFrame = Static<typeof HelloFrame>;
export type JoinedFrame = Static<typeof JoinedFrame>;
export type AckFrame = Static<typeof AckFrame>;
export type MessageFrame = Static<typeof MessageFrame>;
export type ReadEventFrame = Static<typeof ReadEventFrame>;
export type TypingEventFrame = Static<typeof TypingEventFrame>;
export type PresenceFrame = Static<typeof PresenceFrame>;
export type ErrorFrame = Static<typeof ErrorFrame>;
export type RefreshedFrame = Static<typeof RefreshedFrame>;
