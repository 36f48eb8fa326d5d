/**
 * Per-room sequence numbers for the owner of one partition. Decisions only, no I/O: the caller loads
 * `lastSeq` of unknown rooms from the store, asks for a plan, stores it, and commits the plan only
 * after the store accepted it. A fresh sequencer is used for every ownership period of a partition
 * (every consumer channel), so nothing learnt by a previous owner is trusted.
 */
import type { StoredMessage } from '@coffeechat/contracts';

export interface SendRequest {
  roomId: string;
  senderId: string;
  clientMsgId: string;
  body: string;
}

/** `(roomId, senderId, clientMsgId)`: what makes a resend the same message. */
export const sendKey = (m: { roomId: string; senderId: string; clientMsgId: string }): string =>
  JSON.stringify([m.roomId, m.senderId, m.clientMsgId]);

export type SendDecision = { kind: 'new'; message: StoredMessage } | { kind: 'duplicate'; message: StoredMessage };

export interface Plan {
  /** one decision per request, in request order */
  decisions: SendDecision[];
  /** the messages to insert (the `new` decisions), ascending seq per room */
  inserts: StoredMessage[];
}

export class Sequencer {
  private readonly last = new Map<string, number>();

  knows(roomId: string): boolean {
    return this.last.has(roomId);
  }

  /** Sets a room's last stored seq as read from the store (first use, or reload after a conflict). */
  load(roomId: string, lastSeq: number): void {
    this.last.set(roomId, lastSeq);
  }

  /** Forgets rooms whose seq another writer may have moved (a duplicate `{roomId, seq}`). */
  forget(roomIds: Iterable<string>): void {
    for (const roomId of roomIds) this.last.delete(roomId);
  }

  lastSeq(roomId: string): number | undefined {
    return this.last.get(roomId);
  }

  /**
   * Assigns `lastSeq + 1, + 2, …` per room in request order. A request whose key is already stored
   * (`existing`) or repeated earlier in the same batch reuses that message instead of a new seq.
   */
  plan(requests: readonly SendRequest[], existing: ReadonlyMap<string, StoredMessage>, now: number): Plan {
    const next = new Map<string, number>();
    const planned = new Map<string, StoredMessage>();
    const decisions: SendDecision[] = [];
    const inserts: StoredMessage[] = [];
    for (const request of requests) {
      const key = sendKey(request);
      const known = existing.get(key) ?? planned.get(key);
      if (known) {
        decisions.push({ kind: 'duplicate', message: known });
        continue;
      }
      const last = next.get(request.roomId) ?? this.last.get(request.roomId);
      if (last === undefined) throw new Error(`lastSeq of room ${request.roomId} not loaded`);
      const message: StoredMessage = {
        roomId: request.roomId,
        seq: last + 1,
        senderId: request.senderId,
        clientMsgId: request.clientMsgId,
        body: request.body,
        ts: now,
      };
      next.set(request.roomId, message.seq);
      planned.set(key, message);
      inserts.push(message);
      decisions.push({ kind: 'new', message });
    }
    return { decisions, inserts };
  }

  /** Records planned messages the store accepted (all of a plan's inserts, or the part that got in). */
  commit(stored: readonly StoredMessage[]): void {
    for (const { roomId, seq } of stored) this.last.set(roomId, Math.max(seq, this.last.get(roomId) ?? 0));
  }
}
