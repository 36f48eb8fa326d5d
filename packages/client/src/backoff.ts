/** Reconnect and retry delays: exponential with full jitter, so many clients do not retry in step. */
export interface BackoffSettings {
  /** first delay ceiling, ms */
  initialMs: number;
  /** largest delay, ms */
  maxMs: number;
}

export const defaultBackoff: BackoffSettings = { initialMs: 250, maxMs: 10_000 };

/** Delay before retry number `attempt` (0 = first retry); `random` is in [0, 1). */
export function backoffDelay(attempt: number, settings: BackoffSettings, random: () => number = Math.random): number {
  const ceiling = Math.min(settings.maxMs, settings.initialMs * 2 ** Math.min(attempt, 30));
  return Math.floor(ceiling / 2 + (random() * ceiling) / 2);
}
