/** Reconnect and retry delays: exponential with full jitter, so many clients do not retry in step. */
export interface BackoffSettings {
  /** first delay ceiling, ms */
  initialMs: number;
  /** largest delay, ms */
  maxMs: number;
}

/** Reconnects: spread out, so that thousands of clients of a gateway that went away do not return in step. */
export const defaultBackoff: BackoffSettings = { initialMs: 250, maxMs: 10_000 };

/**
 * Joins and sends answered UNAVAILABLE or RATE_LIMITED on an open connection: a backend was away for a
 * moment. A lower ceiling than reconnects: once it is back, what waited goes out within 2 s instead of
 * up to 10 s after it (the server sheds what it cannot take, and the jitter keeps clients apart).
 */
export const defaultRetryBackoff: BackoffSettings = { initialMs: 250, maxMs: 2000 };

/** Delay before retry number `attempt` (0 = first retry); `random` is in [0, 1). */
export function backoffDelay(attempt: number, settings: BackoffSettings, random: () => number = Math.random): number {
  const ceiling = Math.min(settings.maxMs, settings.initialMs * 2 ** Math.min(attempt, 30));
  return Math.floor(ceiling / 2 + (random() * ceiling) / 2);
}
