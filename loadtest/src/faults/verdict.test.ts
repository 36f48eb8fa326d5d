import { describe, expect, it } from 'vitest';
import { joinRecoverySec } from './join-probe.js';
import { type FaultOutcome, faultTargets } from './verdict.js';

const clean: FaultOutcome = {
  lost: 0,
  duplicates: 0,
  orderViolations: 0,
  unacked: 0,
  slowestDeliveryMs: 12_000,
  outageSec: 10,
  joinRecoverySec: 1.2,
  seqHoles: 0,
  senderInversions: 0,
};

describe('faultTargets', () => {
  it('meets every target when nothing was lost and recovery was within the margins', () => {
    expect(faultTargets(clean).every((t) => t.met)).toBe(true);
  });

  it('misses the delivery target when the slowest delivery exceeds the outage by more than 5 s', () => {
    const t = faultTargets({ ...clean, slowestDeliveryMs: 15_100 });
    expect(t.filter((x) => !x.met).map((x) => x.actual)).toEqual(['15.1 s']);
  });

  it('misses the join target when no join worked after the fault', () => {
    const t = faultTargets({ ...clean, joinRecoverySec: null, lost: 3 });
    expect(t.filter((x) => !x.met).map((x) => x.actual)).toEqual(['3 deliveries lost', 'never']);
  });

  it('misses the store targets when a room skips seqs, a sender is out of order, or the store could not be read', () => {
    const missed = (o: Partial<FaultOutcome>) =>
      faultTargets({ ...clean, ...o })
        .filter((x) => !x.met)
        .map((x) => x.actual);
    expect(missed({ seqHoles: 3 })).toEqual(['3']);
    expect(missed({ senderInversions: 2 })).toEqual(['2 inversions']);
    expect(missed({ seqHoles: null, senderInversions: null })).toEqual(['not read', 'not read']);
  });
});

describe('joinRecoverySec', () => {
  const a = (startedAt: number, ok: boolean) => ({
    startedAt,
    endedAt: startedAt + 0.5,
    ok,
    outcome: ok ? 'joined' : 'timeout',
  });

  it('counts from the end of the fault to the first join started after it that worked', () => {
    expect(joinRecoverySec([a(9, true), a(10, false), a(11, false), a(12, true)], 10)).toBe(2.5);
  });

  it('is null when no join after the fault worked', () => {
    expect(joinRecoverySec([a(9, true), a(11, false)], 10)).toBeNull();
  });
});
