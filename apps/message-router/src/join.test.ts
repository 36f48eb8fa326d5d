import type { StoredMessage } from '@coffeechat/contracts';
import { describe, expect, it } from 'vitest';
import { answerJoin, type JoinSources } from './join.js';

const msg = (seq: number): StoredMessage => ({
  roomId: 'r',
  seq,
  senderId: 'u1',
  clientMsgId: `c${seq}`,
  body: 'b',
  ts: seq,
});

function sources(lastSeq: number, stored: number, order: string[] = []): JoinSources {
  return {
    members: async () => ['u1', 'u2'],
    lastSeq: async () => {
      order.push('lastSeq');
      return lastSeq;
    },
    readSeq: async () => 2,
    replay: async (_r, afterSeq, max) => {
      order.push('messages');
      const all = Array.from({ length: stored }, (_, i) => msg(i + 1)).filter((m) => m.seq > afterSeq);
      return { messages: all.slice(-max), truncated: all.length > max };
    },
    resume: async (_r, afterSeq, max) => {
      order.push('resume');
      if (afterSeq > stored) return undefined;
      const all = Array.from({ length: stored }, (_, i) => msg(i + 1)).filter((m) => m.seq > afterSeq);
      return { lastSeq: stored, messages: all.slice(-max), truncated: all.length > max };
    },
  };
}

describe('answerJoin', () => {
  it('refuses a non-member (and a missing room) with NOT_A_MEMBER', async () => {
    expect(await answerJoin({ kind: 'join', roomId: 'r', userId: 'eve' }, sources(0, 0))).toMatchObject({
      ok: false,
      code: 'NOT_A_MEMBER',
    });
    const none: JoinSources = { ...sources(0, 0), members: async () => null };
    expect(await answerJoin({ kind: 'join', roomId: 'r', userId: 'u1' }, none)).toMatchObject({
      ok: false,
      code: 'NOT_A_MEMBER',
    });
  });

  it('without afterSeq: no replay, the stored lastSeq and the read marker', async () => {
    expect(await answerJoin({ kind: 'join', roomId: 'r', userId: 'u1' }, sources(5, 5))).toEqual({
      ok: true,
      roomId: 'r',
      lastSeq: 5,
      readSeq: 2,
      members: ['u1', 'u2'],
      replay: [],
      truncated: false,
    });
  });

  it('resumes from a stored seq with one read: its last seq and its replay', async () => {
    const order: string[] = [];
    const reply = await answerJoin({ kind: 'join', roomId: 'r', userId: 'u1', afterSeq: 3 }, sources(5, 6, order));
    expect(order).toEqual(['resume']);
    expect(reply).toMatchObject({ ok: true, lastSeq: 6, truncated: false });
    if (reply.ok) expect(reply.replay.map((m) => m.seq)).toEqual([4, 5, 6]);
  });

  it('otherwise reads the last seq before the messages, and reports a lastSeq the replay covers', async () => {
    const order: string[] = [];
    // afterSeq 0, or a seq the room does not have: the last seq first, then the messages; a message
    // stored in between is replayed, and lastSeq follows it
    const reply = await answerJoin(
      { kind: 'join', roomId: 'r', userId: 'u1', afterSeq: 0 },
      {
        ...sources(5, 6, order),
        replay: async () => {
          order.push('messages');
          return { messages: [4, 5, 6].map(msg).slice(-3), truncated: false };
        },
      },
    );
    expect(order).toEqual(['lastSeq', 'messages']);
    expect(reply).toMatchObject({ ok: true, lastSeq: 6 });
    const ahead: string[] = [];
    await answerJoin({ kind: 'join', roomId: 'r', userId: 'u1', afterSeq: 9 }, sources(6, 6, ahead));
    expect(ahead).toEqual(['resume', 'lastSeq', 'messages']);
  });

  it('without the resumed seq stored: a message stored between the two reads is replayed and lastSeq follows it', async () => {
    const order: string[] = [];
    const reply = await answerJoin(
      { kind: 'join', roomId: 'r', userId: 'u1', afterSeq: 3 },
      {
        ...sources(5, 6, order),
        resume: async () => undefined,
      },
    );
    expect(order).toEqual(['lastSeq', 'messages']);
    expect(reply).toMatchObject({ ok: true, lastSeq: 6, truncated: false });
    if (reply.ok) expect(reply.replay.map((m) => m.seq)).toEqual([4, 5, 6]);
  });

  it('replays only the newest 1000 and says so', async () => {
    const reply = await answerJoin({ kind: 'join', roomId: 'r', userId: 'u1', afterSeq: 0 }, sources(1500, 1500));
    expect(reply).toMatchObject({ ok: true, truncated: true, lastSeq: 1500 });
    if (reply.ok) {
      expect(reply.replay).toHaveLength(1000);
      expect(reply.replay[0]?.seq).toBe(501);
    }
  });
});
