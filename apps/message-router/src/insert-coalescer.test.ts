import type { StoredMessage } from '@coffeechat/contracts';
import type { TraceContext } from '@coffeechat/telemetry';
import { describe, expect, it } from 'vitest';
import { InsertCoalescer } from './insert-coalescer.js';

const msg = (roomId: string, seq: number): StoredMessage => ({
  roomId,
  seq,
  senderId: 'u',
  clientMsgId: `${roomId}${seq}`,
  body: 'b',
  ts: 1,
});

/** the coalescer only hands traces on: any object stands for one */
const traceOf = (name: string) => ({ name }) as unknown as TraceContext;

/** An ordered insert into a set of `room/seq` keys that stops at the first taken one. */
function store(taken: string[] = [], failOn?: string) {
  const keys = new Set(taken);
  const calls: string[][] = [];
  const insert = async (messages: readonly StoredMessage[]) => {
    calls.push(messages.map((m) => `${m.roomId}/${m.seq}`));
    if (failOn && messages.some((m) => `${m.roomId}/${m.seq}` === failOn)) throw new Error('bad document');
    for (const [i, m] of messages.entries()) {
      const key = `${m.roomId}/${m.seq}`;
      if (keys.has(key)) return { stored: i };
      keys.add(key);
    }
    return { stored: messages.length };
  };
  return { insert, calls, keys };
}

describe('InsertCoalescer', () => {
  it('sends what the partitions have ready in one turn as one ordered insert', async () => {
    const s = store();
    const c = new InsertCoalescer(s.insert);
    const results = await Promise.all([c.insert([msg('a', 1), msg('a', 2)]), c.insert([msg('b', 1)])]);
    expect(results).toEqual([{ stored: 2 }, { stored: 1 }]);
    expect(s.calls).toEqual([['a/1', 'a/2', 'b/1']]);
    await c.insert([msg('c', 1)]);
    expect(s.calls).toHaveLength(2);
  });

  it('cuts what one turn has ready into inserts of at most maxDocuments, between requests', async () => {
    const s = store();
    const c = new InsertCoalescer(s.insert, undefined, 3);
    const rooms = [
      ['a', 2],
      ['b', 1],
      ['c', 2],
      ['d', 4],
      ['e', 1],
    ] as const;
    const results = await Promise.all(
      rooms.map(([room, n]) => c.insert(Array.from({ length: n }, (_, i) => msg(room, i + 1)))),
    );
    expect(results.map((r) => r.stored)).toEqual([2, 1, 2, 4, 1]);
    // a request bigger than the limit goes alone (the store's insert cuts it further)
    expect(s.calls).toEqual([['a/1', 'a/2', 'b/1'], ['c/1', 'c/2'], ['d/1', 'd/2', 'd/3', 'd/4'], ['e/1']]);
  });

  it('hands the store the traces of the requests it coalesced, so the one write continues each', async () => {
    const traces: unknown[][] = [];
    const c = new InsertCoalescer(async (messages, ts) => {
      traces.push([...ts]);
      return { stored: messages.length };
    });
    const [a, b] = [traceOf('a'), traceOf('b')];
    await Promise.all([c.insert([msg('a', 1)], [a]), c.insert([msg('b', 1)]), c.insert([msg('c', 1)], [b])]);
    await c.insert([msg('d', 1)], [b]);
    expect(traces).toEqual([[a, b], [b]]);
  });

  it('a conflict is the concern of its request alone: those before are stored, those after inserted again', async () => {
    const s = store(['b/2']);
    const c = new InsertCoalescer(s.insert);
    const results = await Promise.all([
      c.insert([msg('a', 1)]),
      c.insert([msg('b', 1), msg('b', 2), msg('b', 3)]),
      c.insert([msg('c', 1)]),
    ]);
    expect(results).toEqual([{ stored: 1 }, { stored: 1 }, { stored: 1 }]);
    expect(s.calls).toEqual([['a/1', 'b/1', 'b/2', 'b/3', 'c/1'], ['c/1']]);
    expect(s.keys.has('b/3')).toBe(false);
  });

  it("one partition's failing insert fails only that partition", async () => {
    const s = store([], 'b/1');
    const c = new InsertCoalescer(s.insert);
    const [a, b] = await Promise.allSettled([c.insert([msg('a', 1)]), c.insert([msg('b', 1)])]);
    expect(a).toEqual({ status: 'fulfilled', value: { stored: 1 } });
    expect(b).toMatchObject({ status: 'rejected', reason: { message: 'bad document' } });
  });
});
