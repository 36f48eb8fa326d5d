import type { StoredMessage } from '@coffeechat/contracts';
import { describe, expect, it } from 'vitest';
import { mergeBySeq, seenBy } from './timeline.js';

const m = (seq: number, body = `m${seq}`): StoredMessage => ({
  roomId: 'r',
  seq,
  senderId: 'bob',
  clientMsgId: `c${seq}`,
  body,
  ts: seq,
});

describe('timeline', () => {
  it('merges pages and live messages by seq: ascending, each once, the first copy kept', () => {
    const live = [m(51), m(52)];
    const page = [m(3), m(50), m(51, 'again')];
    expect(mergeBySeq(live, page).map((x) => [x.seq, x.body])).toEqual([
      [3, 'm3'],
      [50, 'm50'],
      [51, 'm51'],
      [52, 'm52'],
    ]);
  });

  it('puts "seen by" under the last message each reader reached', () => {
    const shown = [m(1), m(2), m(4)];
    const at = seenBy(shown, { carol: 3, bob: 4, dan: 0 });
    expect([...at.entries()]).toEqual([
      [2, ['carol']],
      [4, ['bob']],
    ]);
  });
});
