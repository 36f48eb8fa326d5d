/**
 * One room's message stream at this gateway, as the sockets reading the room's topic have it: strictly
 * ascending, gapless seqs (SPEC §4). Decides for each arriving frame whether it goes out now, is a
 * duplicate (a router re-published it after a fail-over), or waits because messages before it are
 * missing: published while this gateway's queue was gone (a broker reconnect) or not bound yet. While
 * it waits, the hub asks a router for the missing messages and `resume` puts them and the waiting
 * frames in seq order. A gap reaching a socket would make the client join again and be sent what it
 * already had (a duplicate and a reordering on the wire). Decisions only, no I/O.
 */
import type { RoomFrame } from './room-feed.js';

export type Offer = 'forward' | 'duplicate' | 'wait';

export class RoomStream {
  private lastSeq: number | undefined;
  /** set while catching up: the frames that arrived meanwhile, in arrival order */
  private waiting: RoomFrame[] | undefined;
  /** a catch-up was asked for while a round was under way: one more round after it */
  private askedAgain = false;

  /** the seq of the last message forwarded; undefined while none was */
  get last(): number | undefined {
    return this.lastSeq;
  }

  get catchingUp(): boolean {
    return this.waiting !== undefined;
  }

  /** frames waiting for the catch-up to end */
  get waitingCount(): number {
    return this.waiting?.length ?? 0;
  }

  /** Nothing forwarded yet: the stream starts after `seq` (a socket went live there). */
  startAfter(seq: number): void {
    if (this.lastSeq === undefined) this.lastSeq = seq;
  }

  /**
   * An arriving frame: `forward` it now (a message then is the last), drop a `duplicate`, or `wait` (a
   * catch-up runs, or starts now because messages are missing before it: `startedCatchUp` tells).
   */
  offer(frame: RoomFrame): { offer: Offer; startedCatchUp: boolean } {
    if (this.waiting) {
      this.waiting.push(frame);
      return { offer: 'wait', startedCatchUp: false };
    }
    const { seq } = frame;
    if (seq === undefined) return { offer: 'forward', startedCatchUp: false };
    if (this.lastSeq !== undefined && seq <= this.lastSeq) return { offer: 'duplicate', startedCatchUp: false };
    if (this.lastSeq !== undefined && seq > this.lastSeq + 1) {
      this.waiting = [frame];
      return { offer: 'wait', startedCatchUp: true };
    }
    this.lastSeq = seq;
    return { offer: 'forward', startedCatchUp: false };
  }

  /**
   * Whatever was published lately may be lost (the broker connection came back): frames wait until the
   * messages after `last` are fetched. True when this starts a catch-up, false when one runs already (it
   * then does one more round) or there is nothing to catch up from.
   */
  catchUp(): boolean {
    if (this.lastSeq === undefined) return false;
    if (this.waiting) {
      this.askedAgain = true;
      return false;
    }
    this.waiting = [];
    return true;
  }

  /** A round of the catch-up starts: it asks for the messages after `last`. */
  roundStarted(): number | undefined {
    this.askedAgain = false;
    return this.lastSeq;
  }

  /**
   * The round's answer: the stored messages after `last` (ascending). Returns the frames to forward, in
   * order: the fetched ones, then the waiting ones not covered, duplicates dropped. The fetched ones are
   * what the store holds: a seq they skip is one the store does not have (a hole, docs/reliability.md
   * D10), so they go on over it; a waiting frame still needs the seq before it. The catch-up ends
   * unless messages are still missing before a waiting frame (or it was asked for again meanwhile); with
   * `giveUp` it ends anyway and lets a gap through (the client then joins again to fill it).
   */
  resume(fetched: readonly RoomFrame[], giveUp = false): RoomFrame[] {
    const waiting = this.waiting ?? [];
    const out: RoomFrame[] = [];
    const take = (frame: RoomFrame, stored = false): boolean => {
      const { seq } = frame;
      if (seq !== undefined) {
        if (this.lastSeq !== undefined && seq <= this.lastSeq) return true;
        if (this.lastSeq !== undefined && seq > this.lastSeq + 1 && !giveUp && !stored) return false;
        this.lastSeq = seq;
      }
      out.push(frame);
      return true;
    };
    for (const frame of fetched) take(frame, true);
    let next = 0;
    while (next < waiting.length && take(waiting[next] as RoomFrame)) next += 1;
    const rest = waiting.slice(next);
    this.waiting = !giveUp && (rest.length > 0 || this.askedAgain) ? rest : undefined;
    return out;
  }
}
