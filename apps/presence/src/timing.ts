/** Every duration presence works with, derived once from the settings. */
export interface PresenceTiming {
  ttlMs: number;
  graceMs: number;
  /** how long a closed connection's tombstone outlives it, to ignore a late connect or heartbeat naming it */
  tombstoneMs: number;
  /** how long an offline user's last-seen time is kept */
  keepUserMs: number;
  /** how often every replica sweeps for expired connections and due offlines */
  sweepEveryMs: number;
  /** items handled per sweep script call (bounded so one call never blocks Redis for long) */
  sweepLimit: number;
  /** bound of the outbox stream if publishing stalls (the broker is down for long) */
  outboxMax: number;
}

const DAY_MS = 24 * 60 * 60 * 1000;

export function presenceTiming(ttlSec: number, graceMs: number): PresenceTiming {
  const ttlMs = ttlSec * 1000;
  return {
    ttlMs,
    graceMs,
    tombstoneMs: 2 * ttlMs + 60_000,
    keepUserMs: 30 * DAY_MS,
    // Expiry may be late by at most this (SPEC: offline within TTL + 5 s of a gateway's death).
    sweepEveryMs: 500,
    sweepLimit: 500,
    outboxMax: 100_000,
  };
}
