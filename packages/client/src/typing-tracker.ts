/**
 * Who is typing in each room, from the client's `typing` events: a user counts as typing until
 * `expireMs` after their last typing event, or until a message of theirs arrives.
 */
import type { CoffeeChatClient } from './client.js';
import { Emitter } from './emitter.js';

export interface TypingEvents {
  /** the set of typing users of a room changed */
  change: { roomId: string; userIds: string[] };
}

export class TypingTracker extends Emitter<TypingEvents> {
  private readonly rooms = new Map<string, Map<string, ReturnType<typeof setTimeout>>>();
  private readonly unsubscribe: Array<() => void>;

  constructor(
    client: CoffeeChatClient,
    private readonly expireMs = 4500,
  ) {
    super();
    this.unsubscribe = [
      client.on('typing', (f) => this.started(f.roomId, f.userId)),
      client.on('message', (f) => this.stopped(f.roomId, f.senderId)),
      client.on('removed', (f) => this.clear(f.roomId)),
    ];
  }

  typers(roomId: string): string[] {
    return [...(this.rooms.get(roomId)?.keys() ?? [])];
  }

  dispose(): void {
    for (const off of this.unsubscribe) off();
    for (const roomId of [...this.rooms.keys()]) this.clear(roomId);
  }

  private started(roomId: string, userId: string): void {
    let users = this.rooms.get(roomId);
    if (!users) {
      users = new Map();
      this.rooms.set(roomId, users);
    }
    const known = users.has(userId);
    clearTimeout(users.get(userId));
    users.set(
      userId,
      setTimeout(() => this.stopped(roomId, userId), this.expireMs),
    );
    if (!known) this.changed(roomId);
  }

  private stopped(roomId: string, userId: string): void {
    const users = this.rooms.get(roomId);
    if (!users?.has(userId)) return;
    clearTimeout(users.get(userId));
    users.delete(userId);
    if (users.size === 0) this.rooms.delete(roomId);
    this.changed(roomId);
  }

  private clear(roomId: string): void {
    for (const userId of this.typers(roomId)) this.stopped(roomId, userId);
  }

  private changed(roomId: string): void {
    this.emit('change', { roomId, userIds: this.typers(roomId) });
  }
}
