import { describe, expect, it } from 'vitest';
import { senderInversions, seqHoles } from './store-seqs.js';

const room = (roomId: string, seqs: number[]) => seqs.map((seq) => ({ roomId, seq }));
const sent = (roomId: string, senderId: string, pairs: [seq: number, k: number][]) =>
  pairs.map(([seq, k]) => ({ roomId, senderId, seq, clientMsgId: `m${k}` }));

describe('seqHoles', () => {
  it('names the seqs missing below each room’s highest, as ranges', () => {
    const messages = [...room('a', [1, 2, 3]), ...room('b', [1, 5, 2, 7, 9]), ...room('c', [3])];
    expect(seqHoles(messages)).toEqual([
      { roomId: 'b', missing: ['3-4', '6', '8'], count: 4 },
      { roomId: 'c', missing: ['1-2'], count: 2 },
    ]);
  });

  it('finds none when every room is 1…n', () => {
    expect(seqHoles([...room('a', [2, 1]), ...room('b', [1])])).toEqual([]);
  });
});

describe('senderInversions', () => {
  it("counts a sender's consecutive messages stored the other way round from how they were sent", () => {
    const messages = [
      // u1 sent m0, m4, m8; stored m4 before m0
      ...sent('a', 'u1', [
        [1, 4],
        [2, 0],
        [4, 8],
      ]),
      // u2 in order, interleaved with u1 in the room
      ...sent('a', 'u2', [
        [3, 1],
        [5, 5],
      ]),
      // the same k in another room is another sequence; a probe's message is left out
      ...sent('b', 'u1', [
        [1, 0],
        [2, 1],
      ]),
      { roomId: 'b', senderId: 'u1', seq: 3, clientMsgId: 'probe' },
    ];
    expect(senderInversions(messages)).toBe(1);
  });
});
