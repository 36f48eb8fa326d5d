/**
 * The frames the gateway itself writes (the router's `message` and `read` frames are forwarded as the
 * router serialized them; a send's `ack` is built here from the headers of the `message` that answers it). Each is typed by contracts and serialized once.
 */
import type {
  AckFrame,
  ErrorFrame,
  HelloFrame,
  JoinedFrame,
  RefreshedFrame,
  TypingEventFrame,
  WsErrorCode,
} from '@coffeechat/contracts';

export const helloFrame = (userId: string, connId: string, heartbeatSec: number): string =>
  JSON.stringify({ type: 'hello', userId, connId, heartbeatSec } satisfies HelloFrame);

export const joinedFrame = (frame: Omit<JoinedFrame, 'type'>): string => JSON.stringify({ type: 'joined', ...frame });

export const leftFrame = (roomId: string, id?: string): string =>
  JSON.stringify(id === undefined ? { type: 'left', roomId } : { type: 'left', id, roomId });

export const pongFrame = (id?: string): string =>
  JSON.stringify(id === undefined ? { type: 'pong' } : { type: 'pong', id });

export const refreshedFrame = (exp: number, id?: string): string =>
  JSON.stringify(
    (id === undefined ? { type: 'refreshed', exp } : { type: 'refreshed', id, exp }) satisfies RefreshedFrame,
  );

export const removedFrame = (roomId: string): string => JSON.stringify({ type: 'removed', roomId });

export const typingFrame = (roomId: string, userId: string): string =>
  JSON.stringify({ type: 'typing', roomId, userId } satisfies TypingEventFrame);

/** A send's `ack`, built from the room's `message` frame that answered it. */
export const ackFrame = ({ id, roomId, clientMsgId, seq, ts }: Omit<AckFrame, 'type'>): string =>
  JSON.stringify({ type: 'ack', ...(id !== undefined ? { id } : {}), roomId, clientMsgId, seq, ts } satisfies AckFrame);

export interface ErrorContext {
  id?: string;
  roomId?: string;
  clientMsgId?: string;
}

export function errorFrame(code: WsErrorCode, message: string, context: ErrorContext = {}): string {
  const frame: ErrorFrame = { type: 'error', code, message };
  if (context.id !== undefined) frame.id = context.id;
  if (context.roomId !== undefined) frame.roomId = context.roomId;
  if (context.clientMsgId !== undefined) frame.clientMsgId = context.clientMsgId;
  return JSON.stringify(frame);
}
