/** HTTP bodies of the chat API (SPEC §5, message-router) and the error envelope shared by every API. */
import { type Static, Type } from '@sinclair/typebox';
import { HttpError } from './errors.js';
import { IsoTime, Millis, PostId, RoomId, Seq, UserId } from './ids.js';
import { Limits } from './limits.js';

const strict = { additionalProperties: false } as const;

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.Union(Object.keys(HttpError).map((c) => Type.Literal(c))),
      message: Type.String(),
      field: Type.Optional(Type.String()),
    }),
  },
  strict,
);
export type ErrorBody = Static<typeof ErrorBody>;

/** Query values arrive as strings; counts are decimal digits only. */
export const QueryInt = Type.String({ pattern: '^(0|[1-9][0-9]{0,15})$' });
export const QueryLimit = Type.String({ pattern: '^[1-9][0-9]{0,3}$' });

export const CreateRoomBody = Type.Object(
  {
    roomId: Type.Optional(RoomId),
    postId: Type.Optional(PostId),
    title: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    // The configured ROOM_MAX_MEMBERS is checked by the router; this bound only caps the parse.
    memberIds: Type.Array(UserId, { minItems: 1, maxItems: 64, uniqueItems: true }),
  },
  strict,
);
export type CreateRoomBody = Static<typeof CreateRoomBody>;

/** What a room is, wherever it is shown. */
const roomFields = {
  roomId: RoomId,
  postId: Type.Union([PostId, Type.Null()]),
  title: Type.Union([Type.String(), Type.Null()]),
  memberIds: Type.Array(UserId),
  lastSeq: Seq,
};

export const Room = Type.Object({ ...roomFields, createdAt: IsoTime }, strict);
export type Room = Static<typeof Room>;

/** A room in the caller's list, with where they are in it. */
export const MyRoom = Type.Object({ ...roomFields, readSeq: Seq, unread: Seq }, strict);
export const MyRoomsQuery = Type.Object(
  { cursor: Type.Optional(Type.String({ maxLength: 200 })), limit: Type.Optional(QueryLimit) },
  strict,
);
export const MyRoomsResponse = Type.Object(
  { rooms: Type.Array(MyRoom), nextCursor: Type.Union([Type.String(), Type.Null()]) },
  strict,
);
export type MyRoom = Static<typeof MyRoom>;
export type MyRoomsResponse = Static<typeof MyRoomsResponse>;

export const StoredMessage = Type.Object(
  {
    roomId: RoomId,
    seq: Type.Integer({ minimum: 1 }),
    senderId: UserId,
    clientMsgId: Type.String(),
    body: Type.String(),
    ts: Millis,
  },
  strict,
);
export type StoredMessage = Static<typeof StoredMessage>;

export const HistoryQuery = Type.Object(
  { beforeSeq: Type.Optional(QueryInt), afterSeq: Type.Optional(QueryInt), limit: Type.Optional(QueryLimit) },
  strict,
);
export const HistoryResponse = Type.Object({ messages: Type.Array(StoredMessage), hasMore: Type.Boolean() }, strict);
export type HistoryResponse = Static<typeof HistoryResponse>;

export const RoomParams = Type.Object({ roomId: RoomId }, strict);
export const MemberParams = Type.Object({ roomId: RoomId, userId: UserId }, strict);

export const RoomLimits = {
  roomsPageDefault: 50,
  roomsPageMax: 200,
  historyPageMax: Limits.historyPageMax,
} as const;
