/**
 * Sends the gateway holds instead of publishing, while a publish would lose its ack: the broker
 * connection is down, or back but the gateway's room bindings are not restored yet (the router's
 * `message` frame, which carries the ack, would reach no queue of this gateway). Each is held until the
 * bindings are back (then published, in arrival order) or until its deadline (then answered
 * UNAVAILABLE, as a send that cannot be published was before). One hold time for all, so arrival order
 * is deadline order. Pure: the caller passes the time and arms its own timer for `nextDeadline()`.
 */
export class SendHold<T> {
  /** item → its deadline, in arrival order */
  private readonly held = new Map<T, number>();

  constructor(private readonly holdMs: number) {}

  get size(): number {
    return this.held.size;
  }

  /** Holds `item` until `now + holdMs`. */
  hold(item: T, now: number): void {
    this.held.delete(item);
    this.held.set(item, now + this.holdMs);
  }

  has(item: T): boolean {
    return this.held.has(item);
  }

  /** No longer held (answered, or its connection closed); false when it was not. */
  delete(item: T): boolean {
    return this.held.delete(item);
  }

  /** The items whose deadline is at or before `now`, no longer held, oldest first. */
  expire(now: number): T[] {
    const expired: T[] = [];
    for (const [item, deadline] of this.held) {
      if (deadline > now) break;
      expired.push(item);
    }
    for (const item of expired) this.held.delete(item);
    return expired;
  }

  /** When the oldest held item's deadline comes; undefined when nothing is held. */
  nextDeadline(): number | undefined {
    for (const deadline of this.held.values()) return deadline;
    return undefined;
  }
}
