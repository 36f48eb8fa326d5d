/**
 * A burst of concurrent HTTP requests of one user against a per-second limit (SPEC §2). The limits count
 * fixed one-second windows, so a burst that outlasts one may start the next: `windows` says how many it
 * could have touched, and a test allows `limit × windows` through.
 */
export interface Burst {
  admitted: number;
  /** the replies with status 429 */
  refused: Response[];
  /** one-second windows the burst may have spanned (1 when it took less than a second) */
  windows: number;
}

export async function burst(count: number, send: () => Promise<Response>, admittedStatus = 200): Promise<Burst> {
  const started = Date.now();
  const replies = await Promise.all(Array.from({ length: count }, send));
  return {
    admitted: replies.filter((r) => r.status === admittedStatus).length,
    refused: replies.filter((r) => r.status === 429),
    windows: 1 + Math.floor((Date.now() - started) / 1000),
  };
}
