/**
 * How a join is answered without gaps or duplicates (docs/internals.md "Join and resume"). While the
 * router is asked, the room's live frames are buffered for the joining socket; the socket then gets
 * `joined`, the replayed messages, and the buffered frames that come after both, before it is
 * subscribed to the room's live traffic.
 */
import { type JoinReply, messageFrameJson, type PresenceStatus } from '@coffeechat/contracts';
import type { Payload } from './client-socket.js';
import { joinedFrame } from './server-frames.js';

/** A room frame as it arrived from the broker: `seq` for messages, `userId` for typing. */
export interface LiveFrame {
  seq?: number;
  userId?: string;
  bytes: Payload;
}

export type JoinAccepted = Extract<JoinReply, { ok: true }>;

export interface JoinPlan {
  /** `joined`, then every replayed message in ascending seq */
  frames: Payload[];
  /** live messages at or below this seq are already covered (replayed, or before the join point) */
  resumeAfter: number;
}

export function planJoin(
  reply: JoinAccepted,
  request: { id?: string; afterSeq?: number },
  presence: { statusOf(userIds: readonly string[]): Record<string, PresenceStatus> },
): JoinPlan {
  const frames: Payload[] = [
    joinedFrame({
      ...(request.id !== undefined ? { id: request.id } : {}),
      roomId: reply.roomId,
      lastSeq: reply.lastSeq,
      readSeq: reply.readSeq,
      members: reply.members,
      presence: presence.statusOf(reply.members),
      ...(reply.truncated ? { truncated: true } : {}),
    }),
  ];
  let last = request.afterSeq ?? Number.POSITIVE_INFINITY;
  if (request.afterSeq !== undefined) {
    // Only strictly ascending seqs above afterSeq: a reply can never make the client see one twice.
    for (const message of reply.replay) {
      if (message.seq <= last) continue;
      frames.push(messageFrameJson(message));
      last = message.seq;
    }
  }
  const replayedUpTo = request.afterSeq === undefined ? 0 : last;
  return { frames, resumeAfter: Math.max(reply.lastSeq, replayedUpTo) };
}

/**
 * The buffered live frames the joining socket still needs, in arrival order, and the seq it has
 * received up to once they are written (its position when it goes live).
 */
export function liveFramesAfter(
  buffer: readonly LiveFrame[],
  resumeAfter: number,
  selfUserId: string,
): { frames: Payload[]; position: number } {
  const frames: Payload[] = [];
  let position = resumeAfter;
  for (const frame of buffer) {
    if (frame.userId === selfUserId) continue;
    if (frame.seq !== undefined) {
      if (frame.seq <= position) continue;
      position = frame.seq;
    }
    frames.push(frame.bytes);
  }
  return { frames, position };
}
