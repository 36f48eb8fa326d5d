/**
 * A burst of concurrent HTTP requests of one user against a per-second limit (SPEC §2). The limits count
 * fixed one-second windows, so a burst that outlasts one may start the next: `windows` says how many it
 * could have touched, and a test allows `limit × windows` through.
 */
export interface Burst {
  sent: number;
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
    sent: count,
    admitted: replies.filter((r) => r.status === admittedStatus).length,
    refused: replies.filter((r) => r.status === 429),
    windows: 1 + Math.floor((Date.now() - started) / 1000),
  };
}

/**
 * Where a burst past `perSecond` departs from SPEC §2 (empty when it does not): at least the limit and at
 * most `limit × windows` admitted, every other reply (at least one) 429 with `Retry-After` ≥ 1 and a
 * RATE_LIMITED body.
 */
export async function rateLimitBreaches(b: Burst, perSecond: number): Promise<string[]> {
  const breaches: string[] = [];
  if (b.admitted < perSecond) breaches.push(`${b.admitted} admitted, below the limit of ${perSecond}`);
  if (b.admitted > perSecond * b.windows)
    breaches.push(`${b.admitted} admitted in ${b.windows} one-second window(s) at ${perSecond} a second`);
  if (b.refused.length !== b.sent - b.admitted)
    breaches.push(`${b.sent - b.admitted - b.refused.length} replies neither admitted nor 429`);
  const first = b.refused[0];
  if (!first) breaches.push('nothing refused');
  else {
    const retryAfter = Number(first.headers.get('retry-after'));
    if (!(retryAfter >= 1)) breaches.push(`Retry-After ${first.headers.get('retry-after')}`);
    const body = JSON.stringify(await first.json());
    const want = JSON.stringify({
      error: { code: 'RATE_LIMITED', message: `more than ${perSecond} requests per second` },
    });
    if (body !== want) breaches.push(`429 body ${body}, expected ${want}`);
  }
  return breaches;
}
