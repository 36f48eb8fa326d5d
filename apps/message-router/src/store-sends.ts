/**
 * Storing one batch of sends with one store write: look up the redelivered ones, assign seqs in
 * request order, insert in that order. Nothing else is written: a room's `lastSeq` is the highest seq
 * in `messages` (read through the `(roomId, seq)` index when the partition's owner first meets the
 * room), and a sender's own read marker is derived from their messages when it is read.
 * A first delivery is not looked up: if it is a client's resend of a stored message, the unique `_id`
 * refuses it and the conflict path below finds it. A unique-key conflict means another writer got
 * there first (a stale or new owner of the partition after a fail-over, or that resend): the insert
 * stops there, the rooms' `lastSeq` is read again and the rest planned again; what this batch already
 * inserted is then found as stored and kept. Each room's seqs therefore follow the order of its
 * requests, which is the order they are published in.
 */
import type { StoredMessage } from '@coffeechat/contracts';
import type { TraceContext } from '@coffeechat/telemetry';
import { type SendDecision, type SendRequest, type Sequencer, sendKey } from './sequencer.js';

export interface MessageRepository {
  /** the stored messages with the keys `(roomId, senderId, clientMsgId)` of these requests */
  findByKeys(requests: readonly SendRequest[]): Promise<StoredMessage[]>;
  /** the highest stored seq per room (0 for a room without messages), by the `(roomId, seq)` index */
  lastSeqs(roomIds: readonly string[]): Promise<Map<string, number>>;
  /**
   * Inserts in order, stopping at the first message a unique index rejects; returns how many leading
   * messages were stored (other failures throw). In order, so a conflict never lets a later message
   * of a room keep its seq while an earlier one is renumbered after it. `traces`: those the write
   * continues (of the batches whose messages these are).
   */
  insert(
    messages: readonly StoredMessage[],
    traces?: readonly (TraceContext | undefined)[],
  ): Promise<{ stored: number }>;
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
  /** the batch's trace, which its inserts continue */
  trace?: TraceContext;
  maxAttempts?: number;
  onConflict?: () => void;
}

export async function storeSends(
  repo: MessageRepository,
  sequencer: Sequencer,
  requests: readonly StoreRequest[],
  { now, insertedByUs, trace, maxAttempts = 5, onConflict }: StoreOptions,
): Promise<SendDecision[]> {
  if (requests.length === 0) return [];
  // Stored messages of this batch's keys: what an earlier attempt inserted, and what lookups found.
  const known = new Map<string, StoredMessage>();
  for (let attempt = 1; ; attempt++) {
    // First, only redelivered sends are looked up; after a conflict, every request not known yet (it
    // may be a resend, or the seq it was planned on was taken).
    const lookups = requests.filter((r) => (attempt === 1 ? r.redelivered : true) && !known.has(sendKey(r)));
    for (const m of lookups.length > 0 ? await repo.findByKeys(lookups) : []) known.set(sendKey(m), m);
    await loadLastSeqs(repo, sequencer, [
      ...new Set(requests.filter((r) => !known.has(sendKey(r))).map((r) => r.roomId)),
    ]);

    const plan = sequencer.plan(requests, known, now());
    if (plan.inserts.length > 0) {
      const { stored } = await repo.insert(plan.inserts, [trace]);
      const kept = plan.inserts.slice(0, stored);
      for (const m of kept) {
        insertedByUs.add(sendKey(m));
        known.set(sendKey(m), m);
      }
      sequencer.commit(kept);
      if (stored < plan.inserts.length) {
        onConflict?.();
        sequencer.forget(new Set(plan.inserts.slice(stored).map((m) => m.roomId)));
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

/** Teaches the sequencer the stored `lastSeq` of rooms it does not know yet. */
export async function loadLastSeqs(
  repo: Pick<MessageRepository, 'lastSeqs'>,
  sequencer: Sequencer,
  roomIds: readonly string[],
): Promise<void> {
  const unknown = roomIds.filter((roomId) => !sequencer.knows(roomId));
  if (unknown.length === 0) return;
  const stored = await repo.lastSeqs(unknown);
  for (const roomId of unknown) sequencer.load(roomId, stored.get(roomId) ?? 0);
}
