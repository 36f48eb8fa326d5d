/** Reconnect and retry delays: exponential with full jitter, so many clients do not retry in step. */
export interface BackoffSettings {
  /** first delay ceiling, ms */
  initialMs: number;
  /** largest delay, ms */
  maxMs: number;
}

/**
 * Reconnects: spread out, so that thousands of clients of a gateway that went away do not return in step,
 * and capped at 4 s (Socket.IO's client stops at 5 s): once the gateway is back every client is back within
 * 2-4 s of it, whatever the outage lasted. With 10 s, a gateway down for 8.6 s saw its last clients return
 * 8 s after it was up (`npm run faults -- gateway-restart`, docs/reliability.md).
 */
export const defaultBackoff: BackoffSettings = { initialMs: 250, maxMs: 4000 };

/**
 * Joins and sends answered UNAVAILABLE or RATE_LIMITED on an open connection: a backend was away for a
 * moment. A lower ceiling than reconnects: once it is back, what waited goes out within 2 s (the server
 * sheds what it cannot take, and the jitter keeps clients apart).
 */
export const defaultRetryBackoff: BackoffSettings = { initialMs: 250, maxMs: 2000 };

/** Delay before retry number `attempt` (0 = first retry); `random` is in [0, 1). */
export function backoffDelay(attempt: number, settings: BackoffSettings, random: () => number = Math.random): number {
  const ceiling = Math.min(settings.maxMs, settings.initialMs * 2 ** Math.min(attempt, 30));
  return Math.floor(ceiling / 2 + (random() * ceiling) / 2);
}
