/** HistoryPager and HttpApi against a small in-test HTTP server that pages a room the way the router does. */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ChatApi } from './chat-api.js';
import { HistoryPager } from './history-pager.js';
import { ApiError } from './http-api.js';

const LAST_SEQ = 120;
let server: Server;
let baseUrl: string;
const requests: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    requests.push(url.pathname + url.search);
    res.setHeader('content-type', 'application/json');
    if (req.headers.authorization !== 'Bearer good') {
      res.statusCode = 401;
      return res.end(JSON.stringify({ error: { code: 'UNAUTHORIZED', message: 'bad token' } }));
    }
    if (url.pathname === '/busy') {
      res.statusCode = 429;
      res.setHeader('retry-after', '2');
      return res.end(JSON.stringify({ error: { code: 'RATE_LIMITED', message: 'slow down' } }));
    }
    const limit = Number(url.searchParams.get('limit') ?? 50);
    const before = Number(url.searchParams.get('beforeSeq') ?? LAST_SEQ + 1);
    const seqs: number[] = [];
    for (let seq = before - 1; seq >= 1 && seqs.length <= limit; seq--) seqs.push(seq);
    const page = seqs.slice(0, limit).reverse();
    res.end(
      JSON.stringify({
        messages: page.map((seq) => ({
          roomId: 'r',
          seq,
          senderId: 'bob',
          clientMsgId: `m${seq}`,
          body: 'x',
          ts: seq,
        })),
        hasMore: seqs.length > limit,
      }),
    );
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe('HistoryPager', () => {
  it('pages from the newest message down to seq 1 without gaps or overlaps', async () => {
    const pager = new HistoryPager(new ChatApi({ baseUrl, token: async () => 'good' }), 'r', 50);
    const seen: number[] = [];
    while (pager.hasMore) seen.unshift(...(await pager.older()).map((m) => m.seq));
    expect(seen).toEqual(Array.from({ length: LAST_SEQ }, (_, i) => i + 1));
    expect(await pager.older()).toEqual([]);
  });

  it('continues below a live message it was told about; concurrent calls share one request', async () => {
    const pager = new HistoryPager(new ChatApi({ baseUrl, token: 'good' }), 'r', 10);
    pager.seen(31);
    requests.length = 0;
    const [a, b] = await Promise.all([pager.older(), pager.older()]);
    expect(a).toBe(b);
    expect(requests).toEqual(['/rooms/r/messages?beforeSeq=31&limit=10']);
    expect(a.map((m) => m.seq)).toEqual([21, 22, 23, 24, 25, 26, 27, 28, 29, 30]);
  });
});

describe('HttpApi', () => {
  it('turns the error envelope into an ApiError with its code and Retry-After', async () => {
    const bad = new ChatApi({ baseUrl, token: 'bad' });
    await expect(bad.history('r')).rejects.toMatchObject({ status: 401, code: 'UNAUTHORIZED', message: 'bad token' });
    const good = new ChatApi({ baseUrl, token: 'good' });
    const err = await good.http.get('/busy').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect(err).toMatchObject({ status: 429, code: 'RATE_LIMITED', retryAfterSec: 2 });
  });

  it('a server that does not answer fails with NETWORK, not a hang', async () => {
    const api = new ChatApi({ baseUrl: 'http://127.0.0.1:1', token: 'good', timeoutMs: 2000 });
    await expect(api.myRooms()).rejects.toMatchObject({ code: 'NETWORK' });
  });
});
