/**
 * What socket handling needs from presence (implemented in `presence/`): the presence map of a
 * `joined` frame, and the moments presence must know about. `offlinePresence` (every member offline,
 * nothing tracked) serves tests that do not exercise presence.
 */
import type { PresenceStatus } from '@coffeechat/contracts';
import type { Session } from './session.js';

export interface PresenceView {
  statusOf(userIds: readonly string[]): Record<string, PresenceStatus>;
  /** a connection opened / closed (a closed session also stops watching every room) */
  opened(session: Session): void;
  closed(session: Session): void;
  /**
   * The session's join of a room was accepted: watch the room's other members. Resolves once their
   * current status is known, or was given up on (`statusOf` then answers what is known); never rejects.
   */
  watch(session: Session, roomId: string, members: readonly string[]): Promise<void>;
  unwatch(session: Session, roomId: string): void;
}

export const offlinePresence: PresenceView = {
  statusOf: (userIds) => Object.fromEntries(userIds.map((id) => [id, 'offline' as const])),
  opened: () => undefined,
  closed: () => undefined,
  watch: async () => undefined,
  unwatch: () => undefined,
};
