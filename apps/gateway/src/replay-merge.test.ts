import type { StoredMessage } from '@coffeechat/contracts';
import { describe, expect, it } from 'vitest';
import { offlinePresence } from './presence-view.js';
import { type JoinAccepted, type LiveFrame, liveFramesAfter, planJoin } from './replay-merge.js';

const stored = (seq: number): StoredMessage => ({
  roomId: 'r1',
  seq,
  senderId: 'u',
  clientMsgId: `c${seq}`,
  body: `m${seq}`,
  ts: 1000 + seq,
});
const reply = (lastSeq: number, replay: number[], truncated = false): JoinAccepted => ({
  ok: true,
  roomId: 'r1',
  lastSeq,
  readSeq: 1,
  members: ['a', 'b'],
  replay: replay.map(stored),
  truncated,
});
const live = (seq: number): LiveFrame => ({ seq, bytes: `live${seq}` });
const parsed = (frames: (string | Uint8Array)[]) => frames.map((f) => JSON.parse(String(f)));

describe('planJoin', () => {
  it('answers joined with members, offline presence and the echoed id', () => {
    const plan = planJoin(reply(7, []), { id: 'j1' }, offlinePresence);
    expect(parsed(plan.frames)).toEqual([
      {
        type: 'joined',
        id: 'j1',
        roomId: 'r1',
        lastSeq: 7,
        readSeq: 1,
        members: ['a', 'b'],
        presence: { a: 'offline', b: 'offline' },
      },
    ]);
    expect(plan.resumeAfter).toBe(7);
  });

  it('replays every message after afterSeq in order, then resumes after the last one', () => {
    const plan = planJoin(reply(5, [3, 4, 5]), { afterSeq: 2 }, offlinePresence);
    expect(parsed(plan.frames).map((f) => f.seq ?? f.type)).toEqual(['joined', 3, 4, 5]);
    expect(parsed(plan.frames)[1]).toEqual({
      type: 'message',
      roomId: 'r1',
      seq: 3,
      senderId: 'u',
      clientMsgId: 'c3',
      body: 'm3',
      ts: 1003,
    });
    expect(plan.resumeAfter).toBe(5);
  });

  it('resumes after a replay that read past lastSeq (a message stored between the two reads)', () => {
    expect(planJoin(reply(5, [4, 5, 6]), { afterSeq: 3 }, offlinePresence).resumeAfter).toBe(6);
  });

  it('never replays a seq twice or at/below afterSeq', () => {
    const plan = planJoin(reply(5, [2, 3, 3, 4, 5]), { afterSeq: 2 }, offlinePresence);
    expect(
      parsed(plan.frames)
        .slice(1)
        .map((f) => f.seq),
    ).toEqual([3, 4, 5]);
  });

  it('marks a truncated replay', () => {
    const plan = planJoin(reply(2000, [1001, 1002], true), { afterSeq: 0 }, offlinePresence);
    expect(parsed(plan.frames)[0].truncated).toBe(true);
  });

  it('ignores a replay when the join had no afterSeq', () => {
    const plan = planJoin(reply(9, [8, 9]), {}, offlinePresence);
    expect(plan.frames).toHaveLength(1);
    expect(plan.resumeAfter).toBe(9);
  });
});

describe('liveFramesAfter', () => {
  it('keeps buffered messages after the resume point, in arrival order, once each', () => {
    const buffer = [live(4), live(5), live(6), live(7)];
    expect(liveFramesAfter(buffer, 5, 'me')).toEqual({ frames: ['live6', 'live7'], position: 7 });
  });

  it('keeps frames without seq (read markers) and drops the joining user’s own typing', () => {
    const buffer: LiveFrame[] = [
      { bytes: 'read' },
      { userId: 'me', bytes: 'mytyping' },
      { userId: 'x', bytes: 'typing' },
      live(3),
    ];
    expect(liveFramesAfter(buffer, 2, 'me')).toEqual({ frames: ['read', 'typing', 'live3'], position: 3 });
  });

  it('merged with a replay gives a gapless, duplicate-free sequence', () => {
    // Messages 1..10 exist; 8..12 arrived live while the router read 3..9 for afterSeq 2.
    const plan = planJoin(reply(9, [3, 4, 5, 6, 7, 8, 9]), { afterSeq: 2 }, offlinePresence);
    const tail = liveFramesAfter([8, 9, 10, 11, 12].map(live), plan.resumeAfter, 'me').frames.map(String);
    const seqs = [
      ...parsed(plan.frames)
        .slice(1)
        .map((f) => f.seq),
      ...tail.map((t) => Number(t.slice(4))),
    ];
    expect(seqs).toEqual([3, 4, 5, 6, 7, 8, 9, 10, 11, 12]);
  });
});
