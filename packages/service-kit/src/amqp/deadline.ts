/** Every wait on the broker has a deadline, and its failure is the caller's UNAVAILABLE. */
import { CodedError, WsErrorCode } from '@coffeechat/contracts';

export const unavailable = (what: string): CodedError => new CodedError(WsErrorCode.UNAVAILABLE, what);

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
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(fail(what)), ms);
  });
  try {
    return await Promise.race([work, timeout]);
  } catch (err) {
    throw err instanceof CodedError ? err : fail(what);
  } finally {
    clearTimeout(timer);
  }
}
