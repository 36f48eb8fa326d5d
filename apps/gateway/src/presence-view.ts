/**
 * The presence map of a `joined` frame. Presence tracking is not wired into the gateway yet, so every
 * member reads as offline; this module is the one place to replace when it is.
 */
import type { PresenceStatus } from '@coffeechat/contracts';

export interface PresenceView {
  statusOf(userIds: readonly string[]): Record<string, PresenceStatus>;
}

export const offlinePresence: PresenceView = {
  statusOf: (userIds) => Object.fromEntries(userIds.map((id) => [id, 'offline' as const])),
};
