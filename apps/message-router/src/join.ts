/**
 * The answer to a gateway's `JoinRequest` (docs/internals.md, "Join and resume"). The room is read
 * before the messages: `rooms.lastSeq` is raised only after a message is inserted, so everything up
 * to the reported `lastSeq` is in the replay, and whatever is stored later is published after the
 * gateway bound its queue (it asks only after bind-ok) and reaches it live.
 */
import { type JoinReply, type JoinRequest, Limits, type StoredMessage } from '@coffeechat/contracts';

export interface JoinSources {
  room(roomId: string): Promise<{ memberIds: string[]; lastSeq: number } | null>;
  readSeq(roomId: string, userId: string): Promise<number>;
  replay(roomId: string, afterSeq: number, max: number): Promise<{ messages: StoredMessage[]; truncated: boolean }>;
}

export async function answerJoin(request: JoinRequest, sources: JoinSources): Promise<JoinReply> {
  const room = await sources.room(request.roomId);
  if (!room?.memberIds.includes(request.userId)) {
    return { ok: false, code: 'NOT_A_MEMBER', message: `not a member of room ${request.roomId}` };
  }
  const [readSeq, replayed] = await Promise.all([
    sources.readSeq(request.roomId, request.userId),
    request.afterSeq === undefined
      ? Promise.resolve({ messages: [], truncated: false })
      : sources.replay(request.roomId, request.afterSeq, Limits.replayMax),
  ]);
  const newest = replayed.messages[replayed.messages.length - 1]?.seq ?? 0;
  return {
    ok: true,
    roomId: request.roomId,
    lastSeq: Math.max(room.lastSeq, newest),
    readSeq,
    members: room.memberIds,
    replay: replayed.messages,
    truncated: replayed.truncated,
  };
}
