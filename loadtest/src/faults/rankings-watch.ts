/**
 * The feed's rankings across a Redis fault (issue 12): before the fault, posts by three authors get
 * views, likes and rooms arranged from them (router `POST /rooms` with a `postId`, counted by the feed
 * from `room.created`), through the services' HTTP APIs; once they are counted, every ranked read is
 * recorded. From the end of the fault the reads are repeated every 250 ms until each answers what it
 * answered before (an answer of 503 is waiting; any other ranking is wrong), within 60 s.
 *
 * The chat load's rooms have no post, so nothing else moves the rankings; time does, by the same
 * factor for every member of a ranking (the decay), so a ranking is compared as its order, the posts'
 * counters, and each score relative to the top one.
 */
import { mintToken } from '@coffeechat/auth';
import { parsePrometheusText, sampleSum } from '@coffeechat/testkit';
import type { FaultWorld } from './fault.js';

const READS = [
  '/posts/popular?window=1h',
  '/posts/popular?window=24h',
  '/posts/popular?window=7d',
  '/posts/popular?window=24h&tag=fr-go',
  '/rankings/authors?window=24h',
  '/rankings/authors?window=7d',
  '/rankings/tags?window=24h',
  '/rankings/tags?window=7d',
];
/** SPEC target (issue 12): rankings rebuilt from what MongoDB holds within 60 s of Redis coming back. */
const DEADLINE_SEC = 60;
const POLL_MS = 250;
/** ranked pages are cached this long (apps/feed/RUNBOOK.md) */
const PAGE_TTL_MS = 2_000;
const RELATIVE_TOLERANCE = 1e-3;

type Row = { id: string; counters: string; relative: number };
type Rebuilds = { done: number; seconds: number; records: number };
type Answer = { status: number; rows: Row[] };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class RankingsWatch {
  private before = new Map<string, Row[]>();
  private rebuildsBefore: Rebuilds = { done: 0, seconds: 0, records: 0 };

  private constructor(
    private readonly w: FaultWorld,
    private readonly reader: string,
  ) {}

  /** Seeds the engagement, waits until it is counted, records every ranked read. */
  static async seed(w: FaultWorld): Promise<RankingsWatch> {
    const token = (userId: string, admin = false) => mintToken(userId, { secret: w.jwtSecret, admin, ttl: '2h' });
    const watch = new RankingsWatch(w, await token('fr-reader'));
    const feed = `http://127.0.0.1:${w.stack.port('feed-0')}`;
    const call = async (user: string, method: string, url: string, body?: unknown, admin = false) => {
      const res = await fetch(url, {
        method,
        headers: { authorization: `Bearer ${await token(user, admin)}`, 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      if (res.status >= 300) throw new Error(`${method} ${url}: HTTP ${res.status} ${await res.text()}`);
      return res.status === 204 ? undefined : ((await res.json()) as Record<string, unknown>);
    };
    // six posts by three authors; views, likes and rooms in different amounts, so no two scores tie
    const plan = [
      { author: 'fr-ann', tags: ['fr-go', 'fr-db'], views: 7, likes: 1, rooms: 2 },
      { author: 'fr-bob', tags: ['fr-go'], views: 3, likes: 4, rooms: 0 },
      { author: 'fr-cid', tags: ['fr-rust'], views: 1, likes: 0, rooms: 1 },
      { author: 'fr-ann', tags: ['fr-rust'], views: 5, likes: 2, rooms: 0 },
      { author: 'fr-bob', tags: ['fr-db'], views: 2, likes: 1, rooms: 3 },
      { author: 'fr-cid', tags: ['fr-go', 'fr-rust'], views: 4, likes: 3, rooms: 1 },
    ];
    const router = w.stack.routerUrl();
    const expected = new Map<string, number>();
    for (const [i, p] of plan.entries()) {
      const post = await call(p.author, 'POST', `${feed}/posts`, { title: `fault post ${i}`, body: 'b', tags: p.tags });
      const postId = String(post?.postId);
      for (let v = 0; v < p.views; v++) await call(`fr-u${v}`, 'GET', `${feed}/posts/${postId}`);
      for (let l = 0; l < p.likes; l++) await call(`fr-u${l}`, 'PUT', `${feed}/posts/${postId}/like`);
      for (let r = 0; r < p.rooms; r++) {
        await call('fr-admin', 'POST', `${router}/rooms`, { postId, memberIds: [p.author, `fr-u${r}`] }, true);
      }
      expected.set(postId, p.rooms);
    }
    // the rooms reach the feed through the broker
    const until = Date.now() + 30_000;
    for (;;) {
      const popular = (await call('fr-reader', 'GET', `${feed}/posts/popular?window=7d`)) as {
        posts: Array<{ postId: string; rooms: number }>;
      };
      const seen = new Map(popular.posts.map((p) => [p.postId, p.rooms]));
      const short = [...expected].filter(([id, rooms]) => seen.get(id) !== rooms);
      if (short.length === 0) break;
      if (Date.now() > until) {
        const events = parsePrometheusText(await (await fetch(`${feed}/metrics`)).text()).filter(
          (m) => m.name === 'coffeechat_feed_events_total',
        );
        throw new Error(
          `the feed did not count every room within 30 s: ${short.map(([id, n]) => `${id} expected ${n}, shows ${seen.get(id) ?? 'nothing'}`).join('; ')}; events ${JSON.stringify(events.map((m) => [m.labels, m.value]))}`,
        );
      }
      await sleep(POLL_MS);
    }
    await sleep(PAGE_TTL_MS + 500);
    for (const read of READS) {
      const answer = await watch.read(read);
      if (answer.status !== 200 || answer.rows.length === 0)
        throw new Error(`${read}: nothing ranked before the fault`);
      watch.before.set(read, answer.rows);
    }
    watch.rebuildsBefore = await watch.rebuilds();
    w.log(`rankings recorded before the fault: ${READS.length} reads, ${plan.length} posts by 3 authors`);
    return watch;
  }

  private get feedUrl(): string {
    return `http://127.0.0.1:${this.w.stack.port('feed-0')}`;
  }

  private async read(read: string): Promise<Answer> {
    const res = await fetch(`${this.feedUrl}${read}`, { headers: { authorization: `Bearer ${this.reader}` } });
    if (res.status !== 200) return { status: res.status, rows: [] };
    const body = (await res.json()) as Record<string, Array<Record<string, unknown>>>;
    const rows = body.posts ?? body.authors ?? body.tags ?? [];
    const top = Number(rows[0]?.score ?? 1);
    return {
      status: 200,
      rows: rows.map((r) => ({
        id: String(r.postId ?? r.authorId ?? r.tag),
        counters: r.postId === undefined ? '' : `${r.views}/${r.likes}/${r.chats}/${r.rooms}`,
        relative: Number(r.score) / top,
      })),
    };
  }

  /** The feed's rebuild metrics so far. */
  private async rebuilds(): Promise<Rebuilds> {
    const metrics = parsePrometheusText(await (await fetch(`${this.feedUrl}/metrics`)).text());
    return {
      done: sampleSum(metrics, 'coffeechat_feed_rankings_rebuilds_total', { outcome: 'done' }),
      seconds: sampleSum(metrics, 'coffeechat_feed_rankings_rebuild_seconds_sum'),
      records: sampleSum(metrics, 'coffeechat_feed_rankings_rebuild_records_total'),
    };
  }

  private same(read: string, rows: Row[]): boolean {
    const before = this.before.get(read) ?? [];
    return (
      rows.length === before.length &&
      rows.every((r, i) => {
        const b = before[i] as Row;
        return r.id === b.id && r.counters === b.counters && Math.abs(r.relative - b.relative) <= RELATIVE_TOLERANCE;
      })
    );
  }

  /**
   * From the fault's end: every read until each answers as before, or 60 s; the facts (time, other
   * answers, the feed's rebuilds) and the targets go into the report.
   */
  async check(): Promise<void> {
    const w = this.w;
    const started = performance.now();
    const wrong: string[] = [];
    let waiting = 0;
    let equalSec: number | null = null;
    while ((performance.now() - started) / 1000 <= DEADLINE_SEC) {
      let equal = 0;
      for (const read of READS) {
        const answer = await this.read(read).catch(() => ({ status: 0, rows: [] }) as Answer);
        if (answer.status === 200 && this.same(read, answer.rows)) equal++;
        else if (answer.status === 200) wrong.push(`${read}: ${answer.rows.map((r) => r.id).join(',') || 'empty'}`);
        else waiting++;
      }
      if (equal === READS.length) {
        equalSec = Math.round((performance.now() - started) / 100) / 10;
        break;
      }
      await sleep(POLL_MS);
    }
    const now = await this.rebuilds();
    const rebuilds = now.done - this.rebuildsBefore.done;
    const rebuildSec = Math.round((now.seconds - this.rebuildsBefore.seconds) * 1000) / 1000;
    w.facts.rankings = {
      equalAgainSec: equalSec,
      readsAnswered503OrDown: waiting,
      wrongAnswers: wrong.length,
      firstWrongAnswers: wrong.slice(0, 5),
      // since the engagement was recorded: the feed's rebuilds, their time and the MongoDB records they read
      feedRebuilds: rebuilds,
      feedRebuildSec: rebuildSec,
      feedRebuildRecords: now.records - this.rebuildsBefore.records,
    };
    w.log(
      `rankings ${equalSec === null ? `not equal to before within ${DEADLINE_SEC} s` : `equal to before ${equalSec} s after the fault ended`}; ${wrong.length} other answers; ${rebuilds} rebuild(s) by the feed (${rebuildSec} s)`,
    );
    w.targets.push(
      {
        target: `popular posts and author/tag rankings equal to before within ${DEADLINE_SEC} s of the fault's end`,
        actual: equalSec === null ? 'not within the deadline' : `${equalSec} s`,
        met: equalSec !== null,
      },
      {
        target: 'no ranking but the one from before served meanwhile (503 while rebuilding)',
        actual: `${wrong.length} other answers`,
        met: wrong.length === 0,
      },
    );
  }
}
