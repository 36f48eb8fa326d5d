/**
 * Correctness accounting of one room: every message the generator sent into it, when it was sent
 * and acked, and how often each member connection received it. Decides duplicates, order
 * violations and losses; pure (time comes in as numbers) so it is unit-tested.
 */

export interface LedgerCounts {
  sent: number;
  acked: number;
  /** sent but never acked (after the generator's own retries) */
  unacked: number;
  /** acked messages × member connections */
  expectedDeliveries: number;
  /** distinct (acked message, member connection) deliveries */
  delivered: number;
  lost: number;
  duplicates: number;
  orderViolations: number;
  /** deliveries of messages this ledger never sent */
  unknown: number;
}

/** A member connection that misses acked messages (see `RoomLedger.losses`). */
export interface MemberLoss {
  member: number;
  count: number;
  /** the first acked message it never received */
  firstK: number;
  /** the highest seq it received */
  lastSeq: number;
  /** when it last received a message it had not had (ledger time; 0: never) */
  lastAt: number;
}

export const emptyCounts = (): LedgerCounts => ({
  sent: 0,
  acked: 0,
  unacked: 0,
  expectedDeliveries: 0,
  delivered: 0,
  lost: 0,
  duplicates: 0,
  orderViolations: 0,
  unknown: 0,
});

export function addCounts(into: LedgerCounts, from: LedgerCounts): LedgerCounts {
  for (const key of Object.keys(into) as (keyof LedgerCounts)[]) into[key] += from[key];
  return into;
}

export interface DeliveryOutcome {
  /** send→deliver in ms; undefined for a duplicate or an unknown message */
  latencyMs: number | undefined;
  duplicate: boolean;
  orderViolation: boolean;
}

const grow = <T extends Float64Array | Int32Array | Uint8Array>(a: T, size: number, make: (n: number) => T): T => {
  if (size <= a.length) return a;
  const b = make(Math.max(size, a.length * 2));
  b.set(a);
  return b;
};

export class RoomLedger {
  /** messages sent so far; message `k` is the k-th send into this room (its clientMsgId carries k) */
  count = 0;
  private sentAt = new Float64Array(64);
  private ackedAt = new Float64Array(64);
  private phases = new Uint8Array(64);
  private retries = new Uint8Array(64);
  private readonly received: Uint8Array[];
  private readonly lastSeq: Int32Array;
  /** when each member last received a message it had not had (ledger time) */
  private readonly lastAt: Float64Array;
  private readonly lastK: Int32Array;
  /** index of the oldest message that may still be unacked (acks arrive mostly in order) */
  private oldestOpen = 0;
  private readonly dupByPhase = new Map<number, number>();
  private readonly orderByPhase = new Map<number, number>();
  private unknownDeliveries = 0;
  /** members that received message k so far */
  private gotBy = new Uint8Array(64);
  private unackedNow = 0;
  private missingNow = 0;

  constructor(readonly members: number) {
    this.received = Array.from({ length: members }, () => new Uint8Array(64));
    this.lastSeq = new Int32Array(members);
    this.lastAt = new Float64Array(members);
    this.lastK = new Int32Array(members * members).fill(-1);
  }

  /** Registers the next send and returns its k. */
  send(phase: number, now: number): number {
    const k = this.count++;
    const n = this.count;
    this.sentAt = grow(this.sentAt, n, (s) => new Float64Array(s));
    this.ackedAt = grow(this.ackedAt, n, (s) => new Float64Array(s));
    this.phases = grow(this.phases, n, (s) => new Uint8Array(s));
    this.retries = grow(this.retries, n, (s) => new Uint8Array(s));
    this.gotBy = grow(this.gotBy, n, (s) => new Uint8Array(s));
    for (let m = 0; m < this.members; m++)
      this.received[m] = grow(this.received[m] as Uint8Array, n, (s) => new Uint8Array(s));
    this.sentAt[k] = now;
    this.phases[k] = phase;
    this.unackedNow++;
    return k;
  }

  phaseOf(k: number): number {
    return this.phases[k] as number;
  }

  /** The member who sends message k: senders take turns. */
  senderOf(k: number): number {
    return k % this.members;
  }

  /** Records an ack; returns send→ack in ms for the first ack of a known message. */
  ack(k: number, now: number): number | undefined {
    if (!(k >= 0 && k < this.count) || this.ackedAt[k] !== 0) return undefined;
    this.ackedAt[k] = now;
    this.unackedNow--;
    this.missingNow += this.members - (this.gotBy[k] as number);
    return now - (this.sentAt[k] as number);
  }

  isAcked(k: number): boolean {
    return k >= 0 && k < this.count && this.ackedAt[k] !== 0;
  }

  /**
   * Records that member connection `member` received message k. Order is judged by `seq` where the
   * system assigns one (it must rise on every connection), else per sender by k (a system without
   * a room sequence can only promise each sender's order).
   */
  deliver(member: number, k: number, seq: number | undefined, now: number): DeliveryOutcome {
    if (!(k >= 0 && k < this.count) || member < 0 || member >= this.members) {
      this.unknownDeliveries++;
      return { latencyMs: undefined, duplicate: false, orderViolation: false };
    }
    const phase = this.phases[k] as number;
    const got = this.received[member] as Uint8Array;
    if ((got[k] as number) > 0) {
      if ((got[k] as number) < 255) got[k] = (got[k] as number) + 1;
      this.dupByPhase.set(phase, (this.dupByPhase.get(phase) ?? 0) + 1);
      return { latencyMs: undefined, duplicate: true, orderViolation: false };
    }
    got[k] = 1;
    this.gotBy[k] = (this.gotBy[k] as number) + 1;
    this.lastAt[member] = now;
    if (this.ackedAt[k] !== 0) this.missingNow--;
    let orderViolation = false;
    if (seq !== undefined) {
      if (seq <= (this.lastSeq[member] as number)) orderViolation = true;
      else this.lastSeq[member] = seq;
    } else {
      const slot = member * this.members + this.senderOf(k);
      if (k < (this.lastK[slot] as number)) orderViolation = true;
      else this.lastK[slot] = k;
    }
    if (orderViolation) this.orderByPhase.set(phase, (this.orderByPhase.get(phase) ?? 0) + 1);
    return { latencyMs: now - (this.sentAt[k] as number), duplicate: false, orderViolation };
  }

  /**
   * Messages sent at or before `olderThan` and still unacked, at most `maxRetries` times each: the
   * generator re-sends them with the same clientMsgId, as SPEC §4 lets a client do.
   */
  dueForRetry(olderThan: number, maxRetries: number): number[] {
    while (this.oldestOpen < this.count && this.ackedAt[this.oldestOpen] !== 0) this.oldestOpen++;
    const out: number[] = [];
    for (let k = this.oldestOpen; k < this.count && (this.sentAt[k] as number) <= olderThan; k++) {
      if (this.ackedAt[k] === 0 && (this.retries[k] as number) < maxRetries) {
        this.retries[k] = (this.retries[k] as number) + 1;
        out.push(k);
      }
    }
    return out;
  }

  /** Sent messages not yet acked, plus deliveries of acked messages not yet received. */
  outstanding(): number {
    return this.unackedNow + this.missingNow;
  }

  /**
   * Each member that misses acked messages: how many, the first one missed, the highest seq it received
   * and when it last received a new message (ledger time): where a loss starts, for the reports.
   */
  losses(): MemberLoss[] {
    const out: MemberLoss[] = [];
    for (let m = 0; m < this.members; m++) {
      const got = this.received[m] as Uint8Array;
      let count = 0;
      let firstK = -1;
      for (let k = 0; k < this.count; k++) {
        if (this.ackedAt[k] === 0 || got[k] !== 0) continue;
        count++;
        if (firstK < 0) firstK = k;
      }
      if (count > 0)
        out.push({ member: m, count, firstK, lastSeq: this.lastSeq[m] as number, lastAt: this.lastAt[m] as number });
    }
    return out;
  }

  /** Counts for one phase, or for every phase when `phase` is undefined. */
  counts(phase?: number): LedgerCounts {
    const c = emptyCounts();
    for (let k = 0; k < this.count; k++) {
      if (phase !== undefined && this.phases[k] !== phase) continue;
      c.sent++;
      if (this.ackedAt[k] === 0) {
        c.unacked++;
        continue;
      }
      c.acked++;
      c.expectedDeliveries += this.members;
      for (let m = 0; m < this.members; m++) {
        if ((this.received[m] as Uint8Array)[k] === 0) c.lost++;
        else c.delivered++;
      }
    }
    const sum = (map: Map<number, number>) =>
      phase === undefined ? [...map.values()].reduce((a, b) => a + b, 0) : (map.get(phase) ?? 0);
    c.duplicates = sum(this.dupByPhase);
    c.orderViolations = sum(this.orderByPhase);
    c.unknown = phase === undefined ? this.unknownDeliveries : 0;
    return c;
  }
}
