/**
 * The answer to a gateway's `JoinRequest` (docs/internals.md, "Join and resume"). The room's last seq
 * is read before the replay: everything up to the reported `lastSeq` is then in the replay, and
 * whatever is stored later is published after the gateway bound its queue (it asks only after bind-ok)
 * and reaches it live.
 */
import { type JoinReply, type JoinRequest, Limits, type StoredMessage } from '@coffeechat/contracts';

export interface JoinSources {
  members(roomId: string): Promise<string[] | null>;
  /** the highest stored seq of the room */
  lastSeq(roomId: string): Promise<number>;
  readSeq(roomId: string, userId: string): Promise<number>;
  replay(roomId: string, afterSeq: number, max: number): Promise<{ messages: StoredMessage[]; truncated: boolean }>;
}

export async function answerJoin(request: JoinRequest, sources: JoinSources): Promise<JoinReply> {
  const members = await sources.members(request.roomId);
  if (!members?.includes(request.userId)) {
    return { ok: false, code: 'NOT_A_MEMBER', message: `not a member of room ${request.roomId}` };
  }
  const [readSeq, { lastSeq, replayed }] = await Promise.all([
    sources.readSeq(request.roomId, request.userId),
    lastSeqThenReplay(request, sources),
  ]);
  const newest = replayed.messages[replayed.messages.length - 1]?.seq ?? 0;
  return {
    ok: true,
    roomId: request.roomId,
    lastSeq: Math.max(lastSeq, newest),
    readSeq,
    members,
    replay: replayed.messages,
    truncated: replayed.truncated,
  };
}

async function lastSeqThenReplay(request: JoinRequest, sources: JoinSources) {
  const lastSeq = await sources.lastSeq(request.roomId);
  const replayed =
    request.afterSeq === undefined
      ? { messages: [], truncated: false }
      : await sources.replay(request.roomId, request.afterSeq, Limits.replayMax);
  return { lastSeq, replayed };
}
