/** The targets every fault is judged by (issue 12), from what the run measured. Pure. */
import type { TargetCheck } from '../report/report.js';

export interface FaultOutcome {
  lost: number;
  duplicates: number;
  orderViolations: number;
  unacked: number;
  /** the slowest send→deliver of the run, ms */
  slowestDeliveryMs: number;
  /** seconds from the fault's start to its end (the process back, the link restored, …) */
  outageSec: number;
  /** seconds after the fault ended until a new connection's join worked; null: it never did */
  joinRecoverySec: number | null;
  /** seqs missing in the rooms' stored messages after the run; null: the store could not be read */
  seqHoles: number | null;
  /** consecutive messages of one sender stored in the opposite order to their sending; null: not read */
  senderInversions: number | null;
}

/** slowest delivery may exceed the outage by this much, and a new join may take this long after it */
export const RECOVERY_MARGIN_SEC = 5;

export function faultTargets(o: FaultOutcome): TargetCheck[] {
  const slowestSec = Math.round(o.slowestDeliveryMs / 100) / 10;
  const slowestLimit = Math.round((o.outageSec + RECOVERY_MARGIN_SEC) * 10) / 10;
  return [
    { target: '0 acked messages lost', actual: `${o.lost} deliveries lost`, met: o.lost === 0 },
    { target: '0 duplicate frames on the wire', actual: `${o.duplicates}`, met: o.duplicates === 0 },
    { target: '0 out-of-order frames on the wire', actual: `${o.orderViolations}`, met: o.orderViolations === 0 },
    { target: '0 unacked after the drain', actual: `${o.unacked}`, met: o.unacked === 0 },
    {
      target: '0 seq holes in the store',
      actual: o.seqHoles === null ? 'not read' : `${o.seqHoles}`,
      met: o.seqHoles === 0,
    },
    {
      target: "each sender's messages stored in the order sent",
      actual: o.senderInversions === null ? 'not read' : `${o.senderInversions} inversions`,
      met: o.senderInversions === 0,
    },
    {
      target: `slowest delivery ≤ outage + ${RECOVERY_MARGIN_SEC} s (${slowestLimit} s)`,
      actual: `${slowestSec} s`,
      met: slowestSec <= slowestLimit,
    },
    {
      target: `a new join works ≤ ${RECOVERY_MARGIN_SEC} s after the fault ends`,
      actual: o.joinRecoverySec === null ? 'never' : `${o.joinRecoverySec} s`,
      met: o.joinRecoverySec !== null && o.joinRecoverySec <= RECOVERY_MARGIN_SEC,
    },
  ];
}
