/**
 * Whose presence this gateway needs, reference counted like room bindings: a session that joined a
 * room watches the room's other members. A user is watched while at least one (session, room) pair
 * names them; the first watch binds the gateway to their changes, the last one unbinds.
 */
import type { Session } from '../session.js';

export interface WatchDelta {
  /** users watched now and not before: bind */
  added: string[];
  /** users no longer watched: unbind */
  removed: string[];
}

export class PresenceWatch {
  /** per session, per room: the co-members it watches there */
  private readonly bySession = new Map<Session, Map<string, Set<string>>>();
  /** per watched user: each watching session and in how many of its rooms */
  private readonly byUser = new Map<string, Map<Session, number>>();

  /** The session joined `roomId` (again): it now watches `members` there, itself excepted. */
  watch(session: Session, roomId: string, members: readonly string[]): WatchDelta {
    const before = this.unwatch(session, roomId);
    let rooms = this.bySession.get(session);
    if (!rooms) {
      rooms = new Map();
      this.bySession.set(session, rooms);
    }
    const watched = new Set(members.filter((m) => m !== session.userId));
    rooms.set(roomId, watched);
    const added: string[] = [];
    for (const userId of watched) if (this.ref(session, userId)) added.push(userId);
    // A re-join that keeps a user watched neither binds nor unbinds them.
    const re = new Set(added);
    return {
      added: added.filter((u) => !before.removed.includes(u)),
      removed: before.removed.filter((u) => !re.has(u)),
    };
  }

  unwatch(session: Session, roomId: string): WatchDelta {
    const rooms = this.bySession.get(session);
    const watched = rooms?.get(roomId);
    if (!rooms || !watched) return { added: [], removed: [] };
    rooms.delete(roomId);
    if (rooms.size === 0) this.bySession.delete(session);
    const removed: string[] = [];
    for (const userId of watched) if (this.unref(session, userId)) removed.push(userId);
    return { added: [], removed };
  }

  unwatchAll(session: Session): WatchDelta {
    const removed: string[] = [];
    for (const roomId of [...(this.bySession.get(session)?.keys() ?? [])])
      removed.push(...this.unwatch(session, roomId).removed);
    return { added: [], removed };
  }

  /** `userId` became a member of `roomId`: sessions that joined it watch them too. */
  memberAdded(roomId: string, userId: string): WatchDelta {
    const added: string[] = [];
    for (const [session, rooms] of this.bySession) {
      const watched = rooms.get(roomId);
      if (!watched || session.userId === userId || watched.has(userId)) continue;
      watched.add(userId);
      if (this.ref(session, userId)) added.push(userId);
    }
    return { added, removed: [] };
  }

  memberRemoved(roomId: string, userId: string): WatchDelta {
    const removed: string[] = [];
    for (const [session, rooms] of this.bySession) {
      const watched = rooms.get(roomId);
      if (!watched?.delete(userId)) continue;
      if (this.unref(session, userId)) removed.push(userId);
    }
    return { added: [], removed };
  }

  isWatched(userId: string): boolean {
    return this.byUser.has(userId);
  }

  watchedUsers(): string[] {
    return [...this.byUser.keys()];
  }

  /** Sessions watching `userId` through a room they have been answered `joined` for. */
  *audienceOf(userId: string): Iterable<Session> {
    for (const session of this.byUser.get(userId)?.keys() ?? []) {
      for (const [roomId, watched] of this.bySession.get(session) ?? []) {
        const phase = session.rooms.get(roomId)?.phase;
        if (watched.has(userId) && phase !== undefined && phase !== 'joining') {
          yield session;
          break;
        }
      }
    }
  }

  /** true when this was the user's first watcher */
  private ref(session: Session, userId: string): boolean {
    let sessions = this.byUser.get(userId);
    const first = !sessions;
    if (!sessions) {
      sessions = new Map();
      this.byUser.set(userId, sessions);
    }
    sessions.set(session, (sessions.get(session) ?? 0) + 1);
    return first;
  }

  /** true when this was the user's last watcher */
  private unref(session: Session, userId: string): boolean {
    const sessions = this.byUser.get(userId);
    if (!sessions) return false;
    const n = (sessions.get(session) ?? 0) - 1;
    if (n > 0) sessions.set(session, n);
    else sessions.delete(session);
    if (sessions.size > 0) return false;
    this.byUser.delete(userId);
    return true;
  }
}
