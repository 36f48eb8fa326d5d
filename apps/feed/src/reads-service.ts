/**
 * The list reads (SPEC §5 feed): the feed, popular posts, author and tag rankings. Pages are
 * cache-aside with a generation (see page-cache.ts) and loaded single-flight; feed and popular pages
 * hold post ids only and read the posts through the post cache, so an edit or a like shows in every
 * list as soon as it shows in the post. Responses are assembled from the cached JSON, never re-parsed.
 */
import { FeedLimits, type RankingWindow } from '@coffeechat/contracts';
import type { Clock } from './clock.js';
import { encodeCursor, type FeedPosition } from './cursor.js';
import type { FeedMetrics } from './feed-metrics.js';
import type { PostsStore } from './mongo/posts-store.js';
import type { PostEntry } from './post.js';
import type { PostReader } from './post-reader.js';
import { type MergePlan, mergePlan } from './ranking-sets.js';
import { RankingsRebuilding } from './rankings-recovery.js';
import type { Generation, PageKind } from './redis/keys.js';
import type { PageCache } from './redis/page-cache.js';
import type { Ranked, RankingsStore } from './redis/rankings-store.js';
import { SingleFlight } from './single-flight.js';
import type { WindowName } from './windows.js';

export const PageTtl = {
  /** feed pages change only on create/delete, which bump their generation */
  feedMs: 30_000,
  /** ranked pages also move with views and chat activity, which bump nothing: cached briefly */
  rankedMs: 2_000,
} as const;

/** Ranked pages keep a few more than the largest page, so posts deleted meanwhile do not shorten it. */
const RANKED_DEPTH = FeedLimits.pageMax + 20;
const HYDRATE_SLACK = 5;

interface Loaded {
  value: string;
  /** posts the load read from MongoDB anyway; spares the caller a second read */
  posts?: Map<string, PostEntry>;
}

/** [postId, createdAt] of a feed page, and whether older posts follow. */
interface FeedPage {
  items: Array<[string, number]>;
  more: boolean;
}

const score = (s: number) => Math.round(s * 1e4) / 1e4;

export interface ReadsServiceDeps {
  store: PostsStore;
  reader: PostReader;
  pages: PageCache;
  rankings: RankingsStore;
  metrics: FeedMetrics;
  clock: Clock;
  cacheEnabled: boolean;
  /** a ranked read found the rankings incomplete (Redis lost them): check and rebuild now */
  onRankingsMissing(): void;
}

export class ReadsService {
  private readonly flight = new SingleFlight<Loaded>();

  constructor(private readonly deps: ReadsServiceDeps) {}

  async feed(after: FeedPosition | null, cursorText: string | null, limit: number): Promise<string> {
    const depth = this.deps.cacheEnabled ? FeedLimits.pageMax : limit;
    const loaded = await this.page('feed', cursorText ?? 'head', 'feed', PageTtl.feedMs, async () => {
      const docs = await this.deps.store.page(after, depth + 1);
      const entries = await this.deps.reader.writeThrough(docs.slice(0, depth));
      const page: FeedPage = {
        items: docs.slice(0, depth).map((d) => [d._id, d.createdAt]),
        more: docs.length > depth,
      };
      return { value: JSON.stringify(page), posts: new Map(entries.map((e) => [e.postId, e])) };
    });
    const page = JSON.parse(loaded.value) as FeedPage;
    const shown = page.items.slice(0, limit);
    const posts = loaded.posts ?? (await this.deps.reader.getMany(shown.map(([id]) => id)));
    const json: string[] = [];
    for (const [id] of shown) {
      const entry = posts.get(id);
      if (entry) json.push(entry.json);
    }
    // the cursor is the last position shown, even when that post was deleted meanwhile: no gaps
    const last = shown[shown.length - 1];
    const next =
      last && (page.items.length > limit || page.more) ? encodeCursor({ postId: last[0], createdAt: last[1] }) : null;
    return `{"posts":[${json.join(',')}],"nextCursor":${JSON.stringify(next)}}`;
  }

  async popular(window: WindowName, tag: string | null, limit: number): Promise<string> {
    const ranking = { kind: 'posts', window, tag } as const;
    const depth = this.deps.cacheEnabled ? RANKED_DEPTH : limit + HYDRATE_SLACK;
    const variant = `${window}:${tag === null ? 'all' : `t:${tag}`}`;
    const loaded = await this.page('popular', variant, 'rank', PageTtl.rankedMs, async () => {
      const top = await this.ranked(mergePlan(ranking, this.deps.clock()), depth);
      const posts = await this.deps.reader.getMany(top.slice(0, limit + HYDRATE_SLACK).map((r) => r.member));
      return { value: JSON.stringify(top.map((r) => [r.member, score(r.score)])), posts };
    });
    const ranked = JSON.parse(loaded.value) as Array<[string, number]>;
    const json: string[] = [];
    for (let from = 0; json.length < limit && from < ranked.length; ) {
      const chunk = ranked.slice(from, from + limit - json.length + HYDRATE_SLACK);
      from += chunk.length;
      const cached = loaded.posts;
      const missing = cached ? chunk.filter(([id]) => !cached.has(id)).map(([id]) => id) : chunk.map(([id]) => id);
      const posts = missing.length > 0 ? await this.deps.reader.getMany(missing) : new Map<string, PostEntry>();
      for (const [id, s] of chunk) {
        const entry = cached?.get(id) ?? posts.get(id);
        if (entry && json.length < limit) json.push(`{"score":${s},${entry.json.slice(1)}`);
      }
    }
    return `{"window":"${window}","tag":${JSON.stringify(tag)},"posts":[${json.join(',')}]}`;
  }

  async authors(window: RankingWindow, limit: number): Promise<string> {
    const loaded = await this.page('authors', `${window}:${limit}`, 'rank', PageTtl.rankedMs, async () => {
      const top = await this.ranked(mergePlan({ kind: 'authors', window }, this.deps.clock()), limit);
      const authors = top.map((r) => ({ authorId: r.member, score: score(r.score) }));
      return { value: JSON.stringify({ window, authors }) };
    });
    return loaded.value;
  }

  async tags(window: RankingWindow, limit: number): Promise<string> {
    const loaded = await this.page('tags', `${window}:${limit}`, 'rank', PageTtl.rankedMs, async () => {
      const top = await this.ranked(mergePlan({ kind: 'tags', window }, this.deps.clock()), limit);
      return { value: JSON.stringify({ window, tags: top.map((r) => ({ tag: r.member, score: score(r.score) })) }) };
    });
    return loaded.value;
  }

  /**
   * The top `n` of a ranking, served only while the rankings are complete. The mark is read after the
   * merge (same connection, same round trip): if it is still there, Redis did not lose the sets before the read.
   */
  private async ranked(plan: MergePlan, n: number): Promise<Ranked[]> {
    const { ranked, intact } = await this.deps.rankings.top(plan, n);
    if (intact) return ranked;
    this.deps.onRankingsMissing();
    throw new RankingsRebuilding();
  }

  private async page(
    kind: PageKind,
    variant: string,
    generation: Generation,
    ttlMs: number,
    load: () => Promise<Loaded>,
  ): Promise<Loaded> {
    if (!this.deps.cacheEnabled) return load();
    const read = await this.deps.pages.get(kind, variant, generation);
    if (read.hit) {
      this.deps.metrics.cacheHits(kind);
      return { value: read.value };
    }
    this.deps.metrics.cacheMisses(kind);
    return this.flight.run(`${kind}:${variant}@${read.generation}`, async () => {
      this.deps.metrics.cacheLoad(kind);
      const loaded = await load();
      await this.deps.pages.put(kind, variant, read.generation, loaded.value, ttlMs);
      return loaded;
    });
  }
}
