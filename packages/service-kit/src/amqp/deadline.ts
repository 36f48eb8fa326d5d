/** Every wait has a deadline; on the broker its failure is the caller's UNAVAILABLE. */
import { CodedError, WsErrorCode } from '@coffeechat/contracts';

export const unavailable = (what: string): CodedError => new CodedError(WsErrorCode.UNAVAILABLE, what);

/** `work`'s outcome, or a rejection with `late()` when it takes longer than `ms`; the timer never outlives it. */
export async function raceDeadline<T>(work: Promise<T>, ms: number, late: () => Error): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(late()), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * `work`'s result, or `fail(what)` (by default UNAVAILABLE) when it fails without a code of its own or
 * takes longer than `ms`.
 */
export async function withinDeadline<T>(
  work: Promise<T>,
  ms: number,
  what: string,
  fail: (what: string) => CodedError = unavailable,
): Promise<T> {
  try {
    return await raceDeadline(work, ms, () => fail(what));
  } catch (err) {
    throw err instanceof CodedError ? err : fail(what);
  }
}
