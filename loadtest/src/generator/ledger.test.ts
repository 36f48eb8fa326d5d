import { describe, expect, it } from 'vitest';
import { RoomLedger } from './ledger.js';

describe('RoomLedger', () => {
  it('counts a clean run: every acked message delivered once to every member', () => {
    const l = new RoomLedger(2);
    const a = l.send(0, 0);
    const b = l.send(0, 1);
    expect(l.ack(a, 5)).toBe(5);
    expect(l.ack(b, 6)).toBe(5);
    expect(l.deliver(0, a, 1, 7).latencyMs).toBe(7);
    l.deliver(1, a, 1, 8);
    l.deliver(0, b, 2, 9);
    l.deliver(1, b, 2, 9);
    expect(l.outstanding()).toBe(0);
    expect(l.counts()).toMatchObject({
      sent: 2,
      acked: 2,
      expectedDeliveries: 4,
      delivered: 4,
      lost: 0,
      duplicates: 0,
      orderViolations: 0,
      unacked: 0,
    });
  });

  it('finds losses, duplicates and seq order violations per member', () => {
    const l = new RoomLedger(2);
    const a = l.send(0, 0);
    const b = l.send(0, 0);
    l.ack(a, 1);
    l.ack(b, 1);
    l.deliver(0, b, 2, 2);
    expect(l.deliver(0, a, 1, 3).orderViolation).toBe(true);
    expect(l.deliver(0, a, 1, 4).duplicate).toBe(true);
    l.deliver(1, a, 1, 2);
    expect(l.outstanding()).toBe(1);
    expect(l.counts()).toMatchObject({
      lost: 1,
      duplicates: 1,
      orderViolations: 1,
      delivered: 3,
      expectedDeliveries: 4,
    });
    // member 1 misses b: the first it missed, the highest seq it had and when it last got one
    expect(l.losses()).toEqual([{ member: 1, count: 1, firstK: b, lastSeq: 1, lastAt: 2 }]);
  });

  it('judges order per sender when the system assigns no seq', () => {
    const l = new RoomLedger(2);
    const k0 = l.send(0, 0); // sender 0
    const k1 = l.send(0, 0); // sender 1
    const k2 = l.send(0, 0); // sender 0
    // sender 1's message may overtake sender 0's; sender 0's own two may not swap
    expect(l.deliver(0, k1, undefined, 1).orderViolation).toBe(false);
    expect(l.deliver(0, k2, undefined, 1).orderViolation).toBe(false);
    expect(l.deliver(0, k0, undefined, 1).orderViolation).toBe(true);
  });

  it('keeps messages delivered before their ack out of the missing count', () => {
    const l = new RoomLedger(1);
    const a = l.send(0, 0);
    l.deliver(0, a, 1, 1);
    expect(l.outstanding()).toBe(1); // not acked yet
    l.ack(a, 2);
    expect(l.outstanding()).toBe(0);
  });

  it('counts per phase and offers unacked messages for retry a bounded number of times', () => {
    const l = new RoomLedger(1);
    l.send(0, 0);
    const late = l.send(1, 10);
    expect(l.counts(0)).toMatchObject({ sent: 1, unacked: 1 });
    expect(l.counts(1)).toMatchObject({ sent: 1, unacked: 1 });
    expect(l.dueForRetry(5, 2)).toEqual([0]);
    expect(l.dueForRetry(5, 2)).toEqual([0]);
    expect(l.dueForRetry(5, 2)).toEqual([]);
    l.ack(late, 11);
    expect(l.dueForRetry(20, 5)).toEqual([0]); // the acked one is never offered again
  });

  it('ignores deliveries of messages it never sent', () => {
    const l = new RoomLedger(1);
    expect(l.deliver(0, 7, 1, 0)).toEqual({ latencyMs: undefined, duplicate: false, orderViolation: false });
    expect(l.counts().unknown).toBe(1);
  });
});
