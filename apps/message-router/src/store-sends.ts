/**
 * Storing one batch of sends: look up the redelivered ones, assign seqs in request order, insert in
 * that order. A first delivery is not looked up: if it is a client's resend of a stored message, the
 * unique `_id` refuses it and the conflict path below finds it. (On FerretDB a lookup by many keys
 * scans the collection, which made it the router's most expensive step.)
 * (The caller raises the rooms' recorded `lastSeq` with `highestSeqs` while it publishes.) A
 * unique-key conflict means another writer got there first (a stale or new owner of the partition
 * after a fail-over): the insert stops there, the rooms' `lastSeq` is reloaded from the store and the
 * rest planned again; what this batch already inserted is then found as stored and kept. Each room's
 * seqs therefore follow the order of its requests, which is the order they are published in.
 */
import type { StoredMessage } from '@coffeechat/contracts';
import { type SendDecision, type SendRequest, type Sequencer, sendKey } from './sequencer.js';

export interface MessageRepository {
  /** the stored messages with the keys `(roomId, senderId, clientMsgId)` of these requests */
  findByKeys(requests: readonly SendRequest[]): Promise<StoredMessage[]>;
  /** each room's recorded `lastSeq` (cheap; may lag after a crash between insert and raise, never lead) */
  recordedLastSeqs(roomIds: readonly string[]): Promise<Map<string, number>>;
  /** the highest seq actually stored per room (authoritative; used after a conflict) */
  storedLastSeqs(roomIds: readonly string[]): Promise<Map<string, number>>;
  /**
   * Inserts in order, stopping at the first message a unique index rejects; returns how many leading
   * messages were stored (other failures throw). In order, so a conflict never lets a later message
   * of a room keep its seq while an earlier one is renumbered after it.
   */
  insert(messages: readonly StoredMessage[]): Promise<{ stored: number }>;
  /** raises each room's `lastSeq` (never lowers it) */
  raiseLastSeqs(lastSeqs: ReadonlyMap<string, number>): Promise<void>;
}

export class FencingError extends Error {
  constructor(attempts: number) {
    super(`seq conflicts persisted over ${attempts} attempts`);
    this.name = 'FencingError';
  }
}

/** A send, and whether the broker delivered it before (then it may well be stored already). */
export interface StoreRequest extends SendRequest {
  redelivered?: boolean;
}

export interface StoreOptions {
  now: () => number;
  /** keys this batch inserted, kept across retries so they still count as new (events) */
  insertedByUs: Set<string>;
  maxAttempts?: number;
  onConflict?: () => void;
}

export async function storeSends(
  repo: MessageRepository,
  sequencer: Sequencer,
  requests: readonly StoreRequest[],
  { now, insertedByUs, maxAttempts = 5, onConflict }: StoreOptions,
): Promise<SendDecision[]> {
  if (requests.length === 0) return [];
  // Rooms whose recorded lastSeq proved stale (or another writer moved) are reloaded from `messages`.
  const conflicted = new Set<string>();
  for (let attempt = 1; ; attempt++) {
    // After a conflict every request is looked up: it may be a resend, or stored by an earlier attempt.
    const lookups = attempt === 1 ? requests.filter((r) => r.redelivered) : requests;
    const existing = new Map(
      (lookups.length > 0 ? await repo.findByKeys(lookups) : []).map((m) => [sendKey(m), m] as const),
    );
    const unknown = [...new Set(requests.filter((r) => !existing.has(sendKey(r))).map((r) => r.roomId))].filter(
      (roomId) => !sequencer.knows(roomId),
    );
    if (unknown.length > 0) {
      const fresh = unknown.filter((roomId) => !conflicted.has(roomId));
      const stale = unknown.filter((roomId) => conflicted.has(roomId));
      const [recorded, stored] = await Promise.all([
        fresh.length > 0 ? repo.recordedLastSeqs(fresh) : new Map<string, number>(),
        stale.length > 0 ? repo.storedLastSeqs(stale) : new Map<string, number>(),
      ]);
      for (const roomId of unknown) sequencer.load(roomId, recorded.get(roomId) ?? stored.get(roomId) ?? 0);
    }

    const plan = sequencer.plan(requests, existing, now());
    if (plan.inserts.length > 0) {
      const { stored } = await repo.insert(plan.inserts);
      const kept = plan.inserts.slice(0, stored);
      for (const m of kept) insertedByUs.add(sendKey(m));
      sequencer.commit(kept);
      if (stored < plan.inserts.length) {
        onConflict?.();
        const rooms = new Set(plan.inserts.slice(stored).map((m) => m.roomId));
        for (const roomId of rooms) conflicted.add(roomId);
        sequencer.forget(rooms);
        if (attempt >= maxAttempts) throw new FencingError(attempt);
        continue;
      }
    }
    // What an earlier attempt inserted is found as stored now; its first request still counts as new.
    const counted = new Set<string>();
    return plan.decisions.map((d) => {
      const key = sendKey(d.message);
      const first = !counted.has(key);
      counted.add(key);
      return d.kind === 'duplicate' && first && insertedByUs.has(key) ? { kind: 'new', message: d.message } : d;
    });
  }
}

/** The highest seq per room among the decisions: what each room's recorded `lastSeq` is raised to. */
export function highestSeqs(decisions: readonly SendDecision[]): Map<string, number> {
  const highest = new Map<string, number>();
  for (const { message } of decisions) {
    highest.set(message.roomId, Math.max(message.seq, highest.get(message.roomId) ?? 0));
  }
  return highest;
}
