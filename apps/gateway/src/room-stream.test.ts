/** A room's stream at a gateway: forward in seq order, drop duplicates, hold frames while missing messages are fetched. */
import { describe, expect, it } from 'vitest';
import type { RoomFrame } from './room-feed.js';
import { RoomStream } from './room-stream.js';

const msg = (seq: number): RoomFrame => ({ roomId: 'r', seq, bytes: Buffer.from(`m${seq}`) });
const typing: RoomFrame = { roomId: 'r', userId: 'u', bytes: Buffer.from('typing') };
const names = (frames: readonly RoomFrame[]) => frames.map((f) => Buffer.from(f.bytes).toString());

describe('RoomStream', () => {
  it('forwards ascending seqs and drops what was forwarded before', () => {
    const stream = new RoomStream();
    expect([1, 2, 2, 3, 1].map((s) => stream.offer(msg(s)).offer)).toEqual([
      'forward',
      'forward',
      'duplicate',
      'forward',
      'duplicate',
    ]);
    expect(stream.offer(typing).offer).toBe('forward');
    expect(stream.last).toBe(3);
  });

  it('holds everything after a gap until the missing messages came, then gives them and the held frames in order', () => {
    const stream = new RoomStream();
    stream.startAfter(8);
    expect(stream.offer(msg(10))).toEqual({ offer: 'wait', startedCatchUp: true });
    expect(stream.offer(typing)).toEqual({ offer: 'wait', startedCatchUp: false });
    expect(stream.offer(msg(11)).offer).toBe('wait');
    expect(stream.roundStarted()).toBe(8);
    // The router read 9..10 (11 was stored after its read).
    expect(names(stream.resume([msg(9), msg(10)]))).toEqual(['m9', 'm10', 'typing', 'm11']);
    expect(stream.catchingUp).toBe(false);
    expect(stream.offer(msg(12)).offer).toBe('forward');
  });

  it('keeps waiting when the answer still leaves a gap before a held frame, and can give up on it', () => {
    const stream = new RoomStream();
    stream.startAfter(1);
    stream.offer(msg(5));
    expect(names(stream.resume([msg(2)]))).toEqual(['m2']);
    expect(stream.catchingUp).toBe(true);
    expect(stream.roundStarted()).toBe(2);
    expect(names(stream.resume([], true))).toEqual(['m5']);
    expect(stream.catchingUp).toBe(false);
    expect(stream.last).toBe(5);
  });

  it('goes on over a seq the store does not have: the fetched messages are all there is', () => {
    const stream = new RoomStream();
    stream.startAfter(14);
    expect(stream.offer(msg(18)).offer).toBe('wait');
    stream.roundStarted();
    // the store has no 15..17 (a hole): the answer starts at 18
    expect(names(stream.resume([msg(18), msg(19)]))).toEqual(['m18', 'm19']);
    expect(stream.catchingUp).toBe(false);
    expect(stream.offer(msg(21)).offer).toBe('wait'); // a live frame still needs the seq before it
  });

  it('after a broker reconnect holds frames until what was published meanwhile is fetched, and once more when asked again', () => {
    const stream = new RoomStream();
    expect(stream.catchUp()).toBe(false); // nothing forwarded: nothing to continue from
    stream.offer(msg(1));
    expect(stream.catchUp()).toBe(true);
    expect(stream.offer(msg(4)).offer).toBe('wait');
    expect(stream.roundStarted()).toBe(1);
    expect(stream.catchUp()).toBe(false); // another reconnect during the round
    expect(names(stream.resume([msg(2), msg(3), msg(4)]))).toEqual(['m2', 'm3', 'm4']);
    expect(stream.catchingUp).toBe(true);
    stream.roundStarted();
    expect(names(stream.resume([msg(5)]))).toEqual(['m5']);
    expect(stream.catchingUp).toBe(false);
  });
});
