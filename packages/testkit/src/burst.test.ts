import { describe, expect, it } from 'vitest';
import { type Burst, rateLimitBreaches } from './burst.js';

const refusal = (retryAfter: string, message = 'more than 50 requests per second') =>
  new Response(JSON.stringify({ error: { code: 'RATE_LIMITED', message } }), {
    status: 429,
    headers: { 'retry-after': retryAfter },
  });
const burstOf = (admitted: number, refused: Response[], windows = 1): Burst => ({
  sent: admitted + refused.length,
  admitted,
  refused,
  windows,
});

describe('rateLimitBreaches', () => {
  it('finds nothing wrong with a burst cut at the limit with SPEC §2 refusals', async () => {
    expect(await rateLimitBreaches(burstOf(50, [refusal('1'), refusal('1')]), 50)).toEqual([]);
    expect(await rateLimitBreaches(burstOf(90, [refusal('1')], 2), 50)).toEqual([]);
  });

  it('names each departure: too many admitted, no Retry-After, another body, other statuses, no refusal', async () => {
    expect(await rateLimitBreaches(burstOf(60, [refusal('0', 'slow down')]), 50)).toEqual([
      '60 admitted in 1 one-second window(s) at 50 a second',
      'Retry-After 0',
      '429 body {"error":{"code":"RATE_LIMITED","message":"slow down"}}, expected {"error":{"code":"RATE_LIMITED","message":"more than 50 requests per second"}}',
    ]);
    expect(await rateLimitBreaches({ sent: 70, admitted: 40, refused: [refusal('1')], windows: 1 }, 50)).toEqual([
      '40 admitted, below the limit of 50',
      '29 replies neither admitted nor 429',
    ]);
    expect(await rateLimitBreaches(burstOf(50, []), 50)).toEqual(['nothing refused']);
  });
});
