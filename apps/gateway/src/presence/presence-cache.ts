/**
 * The last known presence of the users this gateway watches, ordered by each user's version: a
 * change or a query answer not newer than what is known is ignored, so changes published by
 * different presence replicas (or crossing a query) never move a status backwards.
 */
import type { PresenceChange, PresenceStatus, VersionedPresence } from '@coffeechat/contracts';

export class PresenceCache {
  private readonly known = new Map<string, { status: PresenceStatus; version: number }>();

  /** true when the change is newer than what was known (and is now the known state) */
  apply(change: PresenceChange): boolean {
    return this.merge(change.userId, change);
  }

  merge(userId: string, state: Pick<VersionedPresence, 'status' | 'version'>): boolean {
    const current = this.known.get(userId);
    if (current && current.version >= state.version) return false;
    this.known.set(userId, { status: state.status, version: state.version });
    return true;
  }

  statusOf(userId: string): PresenceStatus {
    return this.known.get(userId)?.status ?? 'offline';
  }

  versionOf(userId: string): number {
    return this.known.get(userId)?.version ?? 0;
  }

  forget(userId: string): void {
    this.known.delete(userId);
  }
}
