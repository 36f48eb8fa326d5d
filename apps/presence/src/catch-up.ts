/**
 * Whether this replica may expire connections yet. Right after a start, the input queue may still
 * hold heartbeats sent while no presence replica was running; expiring before applying them would
 * take live users offline (and online again a moment later). So expiry waits until this replica has
 * consumed for a heartbeat interval and is reading messages that are recent (or the queue is idle).
 * Other replicas that kept running are not held back: they were applying heartbeats all along.
 */
export class CatchUp {
  private lastAt: number | undefined;
  private lastSeen: number | undefined;

  constructor(
    private readonly startedAt: number,
    private readonly intervalMs: number,
  ) {}

  /** A gateway message was consumed; `at` is when the gateway sent it. */
  consumed(at: number, now: number): void {
    this.lastAt = at;
    this.lastSeen = now;
  }

  caughtUp(now: number): boolean {
    if (now - this.startedAt < this.intervalMs) return false;
    const idle = this.lastSeen === undefined || now - this.lastSeen >= this.intervalMs;
    const recent = this.lastAt !== undefined && now - this.lastAt < this.intervalMs;
    return idle || recent;
  }
}
