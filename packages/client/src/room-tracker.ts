/**
 * What the client knows about one joined room's message stream: the last seq it delivered. Decides
 * for each incoming message whether to deliver it, drop it as a duplicate, or re-synchronize because
 * messages are missing.
 */
export type SeqDecision = 'deliver' | 'duplicate' | 'gap';

export class RoomTracker {
  /** last seq delivered to the application; undefined until the first `joined` */
  lastSeq: number | undefined;
  /** the next message may skip ahead (the server truncated a long replay; the rest is paged over HTTP) */
  private acceptJump = false;
  /**
   * the room's last seq as the latest `joined` read it from the store: what follows a join up to there
   * is its replay, read from the store in order, so a jump in it is a seq the store does not have (a
   * hole, docs/reliability.md D10): nothing to wait for, and joining again would read the same
   */
  private storedUpTo = 0;

  constructor(afterSeq?: number) {
    this.lastSeq = afterSeq;
  }

  /** The seq a (re)join should resume after, if any. */
  resumePoint(): number | undefined {
    return this.lastSeq;
  }

  joined(lastSeq: number, truncated: boolean): void {
    if (this.lastSeq === undefined) this.lastSeq = lastSeq;
    this.storedUpTo = Math.max(this.storedUpTo, lastSeq);
    if (truncated) this.acceptJump = true;
  }

  decide(seq: number): SeqDecision {
    if (this.lastSeq === undefined) {
      this.lastSeq = seq;
      return 'deliver';
    }
    if (seq <= this.lastSeq) return 'duplicate';
    if (seq !== this.lastSeq + 1 && !this.acceptJump && seq > this.storedUpTo) return 'gap';
    this.acceptJump = false;
    this.lastSeq = seq;
    return 'deliver';
  }
}
