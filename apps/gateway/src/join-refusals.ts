/**
 * Remembers, per (room, user), that the router refused a join, so a client repeating a join it may not
 * make costs the router nothing for a while. Members are not cached: a member's join always asks the
 * router, which answers with the room's current position (`lastSeq`, `readSeq`, replay). Entries are
 * dropped when a membership event names the pair.
 */
export class JoinRefusals {
  private readonly refusals = new Map<string, number>();

  constructor(
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
    private readonly maxEntries = 100_000,
  ) {}

  private static key(roomId: string, userId: string): string {
    return `${roomId}\u0000${userId}`;
  }

  refused(roomId: string, userId: string): boolean {
    const key = JoinRefusals.key(roomId, userId);
    const until = this.refusals.get(key);
    if (until === undefined) return false;
    if (until > this.now()) return true;
    this.refusals.delete(key);
    return false;
  }

  rememberRefusal(roomId: string, userId: string): void {
    if (this.ttlMs <= 0) return;
    // Map iteration is insertion order, so the first key is the oldest entry.
    if (this.refusals.size >= this.maxEntries) {
      const oldest = this.refusals.keys().next().value;
      if (oldest !== undefined) this.refusals.delete(oldest);
    }
    this.refusals.set(JoinRefusals.key(roomId, userId), this.now() + this.ttlMs);
  }

  invalidate(roomId: string, userId: string): void {
    this.refusals.delete(JoinRefusals.key(roomId, userId));
  }
}
