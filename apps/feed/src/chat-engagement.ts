/**
 * Chat activity counted toward the post a room was arranged from: each stored message (deduplicated
 * by the room's seq, capped per room and hour for ranking) and each room created.
 */
import type { MessageStoredEvent, RoomCreatedEvent } from '@coffeechat/contracts';
import type { Clock } from './clock.js';
import { type EngagementRecorder, rankedOf } from './engagement.js';
import type { EventOutcome } from './feed-metrics.js';
import type { EngagementGuards } from './redis/engagement-guards.js';
import { CHAT_CAP_PER_ROOM_HOUR, WEIGHTS } from './scoring.js';

export class ChatEngagement {
  constructor(
    private readonly guards: EngagementGuards,
    private readonly engagement: EngagementRecorder,
    private readonly clock: Clock,
  ) {}

  async messageStored(e: MessageStoredEvent): Promise<EventOutcome> {
    if (e.postId === null) return 'ignored';
    const at = Math.min(e.ts, this.clock());
    const verdict = await this.guards.chatMessage(e.roomId, e.seq, at, CHAT_CAP_PER_ROOM_HOUR);
    if (verdict === 'duplicate') return 'duplicate';
    // every message shows in the post's `chats`; only those under the room's cap move the ranking
    const counted = await this.engagement.count(e.postId, 'chats', 1);
    if (!counted) return 'ignored';
    if (verdict === 'capped') return 'capped';
    await this.engagement.rank(rankedOf(counted.doc), WEIGHTS.chat, at);
    return 'counted';
  }

  async roomCreated(e: RoomCreatedEvent): Promise<EventOutcome> {
    if (e.postId === null) return 'ignored';
    if (!(await this.guards.firstRoomCreated(e.roomId))) return 'duplicate';
    const counted = await this.engagement.count(e.postId, 'rooms', 1);
    if (!counted) return 'ignored';
    await this.engagement.rank(rankedOf(counted.doc), WEIGHTS.room, e.at);
    return 'counted';
  }
}
