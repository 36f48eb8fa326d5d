import { describe, expect, it } from 'vitest';
import { seqHoles } from './store-seqs.js';

const room = (roomId: string, seqs: number[]) => seqs.map((seq) => ({ roomId, seq }));

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
