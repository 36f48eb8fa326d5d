/** An in-memory `messages` with its two unique keys, for the unit tests of the store path. */
import type { StoredMessage } from '@coffeechat/contracts';
import { type SendRequest, sendKey } from '../src/sequencer.js';
import type { MessageRepository } from '../src/store-sends.js';

export class MemoryStore implements MessageRepository {
  readonly messages = new Map<string, StoredMessage>();
  /** how many times rooms' last seqs were read */
  lastSeqReads = 0;
  /** runs before each insert: lets a test play the rival owner */
  beforeInsert: (() => void) | undefined;
  inserts = 0;
  /** how many keys were looked up */
  lookups = 0;

  put(m: StoredMessage): boolean {
    const seqTaken = [...this.messages.values()].some((x) => x.roomId === m.roomId && x.seq === m.seq);
    if (seqTaken || this.messages.has(sendKey(m))) return false;
    this.messages.set(sendKey(m), m);
    return true;
  }

  async findByKeys(requests: readonly SendRequest[]) {
    this.lookups += requests.length;
    return requests.flatMap((r) => this.messages.get(sendKey(r)) ?? []);
  }
  async lastSeqs(roomIds: readonly string[]) {
    this.lastSeqReads++;
    return new Map(
      roomIds.map((r) => [
        r,
        Math.max(0, ...[...this.messages.values()].filter((m) => m.roomId === r).map((m) => m.seq)),
      ]),
    );
  }
  async insert(messages: readonly StoredMessage[]) {
    this.inserts++;
    this.beforeInsert?.();
    const stored = messages.findIndex((m) => !this.put(m));
    return { stored: stored === -1 ? messages.length : stored };
  }
  seqs(roomId: string) {
    return [...this.messages.values()]
      .filter((m) => m.roomId === roomId)
      .map((m) => m.seq)
      .sort((a, b) => a - b);
  }
}
