/** A room's messages as shown: unique by seq, ascending, whichever way (history page or live) they came. */
import type { StoredMessage } from '@coffeechat/contracts';

export function mergeBySeq(current: readonly StoredMessage[], incoming: readonly StoredMessage[]): StoredMessage[] {
  if (incoming.length === 0) return current as StoredMessage[];
  const bySeq = new Map<number, StoredMessage>();
  for (const m of current) bySeq.set(m.seq, m);
  for (const m of incoming) if (!bySeq.has(m.seq)) bySeq.set(m.seq, m);
  return [...bySeq.values()].sort((a, b) => a.seq - b.seq);
}

/** For each read position, the seq of the last shown message at or before it (where "seen by" goes). */
export function seenBy(messages: readonly StoredMessage[], reads: Record<string, number>): Map<number, string[]> {
  const out = new Map<number, string[]>();
  for (const [userId, readSeq] of Object.entries(reads)) {
    let at: number | undefined;
    for (const m of messages) if (m.seq <= readSeq) at = m.seq;
    if (at === undefined) continue;
    out.set(at, [...(out.get(at) ?? []), userId].sort());
  }
  return out;
}
