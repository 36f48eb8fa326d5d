/**
 * The answer to a gateway's `JoinRequest` (docs/internals.md, "Join and resume"). The room's last seq
 * is read before the replay, or with it: everything up to the reported `lastSeq` is then in the replay,
 * and whatever is stored later is published after the gateway bound its queue (it asks only after
 * bind-ok) and reaches it live. A resume names the last seq the client saw, which is stored: one read
 * of the messages from that one on carries the room's last seq and the replay together (a reconnect
 * storm is thousands of these; docs/reliability.md, D8).
 */
import { type JoinReply, type JoinRequest, Limits, type StoredMessage } from '@coffeechat/contracts';

export interface JoinSources {
  members(roomId: string): Promise<string[] | null>;
  /** the highest stored seq of the room */
  lastSeq(roomId: string): Promise<number>;
  readSeq(roomId: string, userId: string): Promise<number>;
  replay(roomId: string, afterSeq: number, max: number): Promise<{ messages: StoredMessage[]; truncated: boolean }>;
  /**
   * With the message at `afterSeq` (> 0) stored: the newest `max` after it (ascending), `truncated` when
   * older ones were left out, and the room's last seq, all from one read; `undefined` when it is not.
   */
  resume(roomId: string, afterSeq: number, max: number): Promise<Resumed | undefined>;
}

export interface Resumed {
  lastSeq: number;
  messages: StoredMessage[];
  truncated: boolean;
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
  if (request.afterSeq !== undefined && request.afterSeq > 0) {
    const resumed = await sources.resume(request.roomId, request.afterSeq, Limits.replayMax);
    if (resumed) {
      const { lastSeq, messages, truncated } = resumed;
      return { lastSeq, replayed: { messages, truncated } };
    }
  }
  const lastSeq = await sources.lastSeq(request.roomId);
  const replayed =
    request.afterSeq === undefined
      ? { messages: [], truncated: false }
      : await sources.replay(request.roomId, request.afterSeq, Limits.replayMax);
  return { lastSeq, replayed };
}
