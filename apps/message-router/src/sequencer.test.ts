import type { StoredMessage } from '@coffeechat/contracts';
import { describe, expect, it } from 'vitest';
import { Sequencer, sendKey } from './sequencer.js';

const send = (roomId: string, clientMsgId: string, senderId = 'u1') => ({
  roomId,
  senderId,
  clientMsgId,
  body: `b-${clientMsgId}`,
});
const none = new Map<string, StoredMessage>();

describe('Sequencer', () => {
  it('numbers each room from its last seq, in request order, independently of other rooms', () => {
    const s = new Sequencer();
    s.load('a', 0);
    s.load('b', 41);
    const plan = s.plan([send('a', '1'), send('b', '1'), send('a', '2'), send('b', '2'), send('a', '3')], none, 7);
    expect(plan.decisions.map((d) => [d.kind, d.message.roomId, d.message.seq])).toEqual([
      ['new', 'a', 1],
      ['new', 'b', 42],
      ['new', 'a', 2],
      ['new', 'b', 43],
      ['new', 'a', 3],
    ]);
    expect(plan.inserts).toHaveLength(5);
    expect(plan.inserts[0]).toEqual({ roomId: 'a', seq: 1, senderId: 'u1', clientMsgId: '1', body: 'b-1', ts: 7 });
  });

  it('does not advance until the plan is committed (a failed store leaves no gap)', () => {
    const s = new Sequencer();
    s.load('a', 5);
    s.plan([send('a', '1')], none, 1);
    expect(s.lastSeq('a')).toBe(5);
    const plan = s.plan([send('a', '1'), send('a', '2')], none, 1);
    expect(plan.inserts.map((m) => m.seq)).toEqual([6, 7]);
    s.commit(plan.inserts);
    expect(s.lastSeq('a')).toBe(7);
    expect(s.plan([send('a', '3')], none, 1).inserts[0]?.seq).toBe(8);
  });

  it('reuses the stored message for a resend of the same (room, sender, clientMsgId)', () => {
    const s = new Sequencer();
    s.load('a', 9);
    const stored: StoredMessage = { roomId: 'a', seq: 4, senderId: 'u1', clientMsgId: 'x', body: 'old', ts: 1 };
    const plan = s.plan([send('a', 'x'), send('a', 'y')], new Map([[sendKey(stored), stored]]), 2);
    expect(plan.decisions[0]).toEqual({ kind: 'duplicate', message: stored });
    expect(plan.decisions[1]).toMatchObject({ kind: 'new', message: { seq: 10, clientMsgId: 'y' } });
  });

  it('gives a repeat within one batch the seq of its first occurrence, and another sender its own', () => {
    const s = new Sequencer();
    s.load('a', 0);
    const plan = s.plan([send('a', 'x'), send('a', 'x'), send('a', 'x', 'u2')], none, 3);
    expect(plan.decisions.map((d) => [d.kind, d.message.seq, d.message.senderId])).toEqual([
      ['new', 1, 'u1'],
      ['duplicate', 1, 'u1'],
      ['new', 2, 'u2'],
    ]);
    expect(plan.inserts).toHaveLength(2);
  });

  it('refuses to number a room whose last seq was never loaded', () => {
    expect(() => new Sequencer().plan([send('a', '1')], none, 1)).toThrow(/not loaded/);
  });

  it('fencing: after a forget, the room is numbered from the reloaded last seq, never from what it believed', () => {
    const s = new Sequencer();
    s.load('a', 3);
    s.commit(s.plan([send('a', '1')], none, 1).inserts); // believes 4
    // another owner wrote 5..9 meanwhile; a duplicate {roomId, seq} told us so
    s.forget(['a']);
    expect(s.knows('a')).toBe(false);
    s.load('a', 9);
    expect(s.plan([send('a', '2')], none, 1).inserts[0]?.seq).toBe(10);
  });

  it('never lowers a committed last seq when an older plan commits late', () => {
    const s = new Sequencer();
    s.load('a', 0);
    const early = s.plan([send('a', '1')], none, 1);
    s.load('a', 20);
    s.commit(early.inserts);
    expect(s.lastSeq('a')).toBe(20);
  });

  it('keys are unambiguous whatever characters the ids hold', () => {
    expect(sendKey({ roomId: 'a', senderId: 'b/c', clientMsgId: 'd' })).not.toBe(
      sendKey({ roomId: 'a', senderId: 'b', clientMsgId: 'c/d' }),
    );
  });
});
