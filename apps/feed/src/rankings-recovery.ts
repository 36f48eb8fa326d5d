/**
 * Keeps the Redis rankings complete after Redis loses them (restarted without persistence, flushed,
 * the mark evicted). A mark key written by the last rebuild says the rankings hold everything MongoDB
 * has; every replica checks it at start, when its Redis connection is ready again, when a read finds
 * it missing, and every few seconds. Without the mark the ranked reads answer 503 (never an empty or
 * partial ranking), and one replica at a time (a Redis lock with a deadline, renewed while it works)
 * rebuilds: it reads the points MongoDB keeps in bounded pages, adds them to staged copies of the
 * buckets, renames those over the live buckets and sets the mark, then the ranked pages are recomputed.
 * Engagement that arrives during a rebuild reaches MongoDB and the live buckets; the rename may drop
 * a live increment the scan did not see (counted at most once, never twice; the next rebuild has it).
 */
import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { type Logger, raceDeadline } from '@coffeechat/service-kit';
import type { Clock } from './clock.js';
import type { FeedMetrics, RebuildOutcome } from './feed-metrics.js';
import type { EngagementDoc, EngagementStore } from './mongo/engagement-store.js';
import { pointsIncrements, type WindowPoints } from './ranking-sets.js';
import type { PageCache } from './redis/page-cache.js';
import type { RankingsRebuildStore, StagedBucket } from './redis/rankings-rebuild-store.js';
import type { RankingsStore } from './redis/rankings-store.js';
import { bucketStart, oldestLiveBucket, POPULAR_WINDOWS, WINDOWS } from './windows.js';

export interface RecoverySettings {
  /** how often each replica looks for the mark while the rankings are complete */
  checkEveryMs: number;
  /** how soon it looks again while they are not (another replica rebuilding, a store down) */
  retryEveryMs: number;
  /** the rebuild lock's deadline; renewed every third of it while the rebuild works */
  lockTtlMs: number;
  /** MongoDB records per page */
  batch: number;
  /** the deadline of every single store call */
  waitMs: number;
  /** how often each replica drops MongoDB records no window reaches any more */
  pruneEveryMs: number;
}

export const RECOVERY_DEFAULTS: RecoverySettings = {
  checkEveryMs: 5_000,
  retryEveryMs: 1_000,
  lockTtlMs: 15_000,
  batch: 500,
  waitMs: 5_000,
  pruneEveryMs: 3_600_000,
};

/** Staged buckets of a rebuild that died go away by themselves after this. */
const STAGED_TTL_MS = 30 * 60_000;
/** The server-side limit of the whole scan (cumulative over its batches; each batch has `waitMs`). */
const SCAN_SERVER_MS = 10 * 60_000;
/** Buckets renamed per round trip when the staged copies go live. */
const SWAP_CHUNK = 1_000;

export type CheckOutcome = 'intact' | 'rebuilt' | 'busy' | 'failed';

/** A ranked read while the rankings are incomplete: 503 with Retry-After, never a partial ranking. */
export class RankingsRebuilding extends Error {
  constructor() {
    super('the rankings are being rebuilt; retry later');
    this.name = 'RankingsRebuilding';
  }
}

class Aborted extends Error {}

export interface RankingsRecoveryDeps {
  rankings: Pick<RankingsStore, 'intact'>;
  rebuild: RankingsRebuildStore;
  points: EngagementStore;
  pages: Pick<PageCache, 'bump'>;
  metrics: FeedMetrics;
  logger: Logger;
  clock: Clock;
  settings?: Partial<RecoverySettings>;
}

/** What a MongoDB record adds in each window's bucket. */
function pointsOf(doc: EngagementDoc): WindowPoints {
  const out = {} as Record<keyof WindowPoints, WindowPoints[keyof WindowPoints]>;
  for (const w of POPULAR_WINDOWS) out[w] = { bucket: bucketStart(WINDOWS[w], doc.at), value: doc.points[w] ?? 0 };
  return out;
}

export class RankingsRecovery {
  private readonly s: RecoverySettings;
  private timer: NodeJS.Timeout | undefined;
  private inFlight: Promise<CheckOutcome> | undefined;
  private stopped = false;
  private failing = false;
  private lastPruneAt = Number.NEGATIVE_INFINITY;

  constructor(private readonly d: RankingsRecoveryDeps) {
    this.s = { ...RECOVERY_DEFAULTS, ...d.settings };
  }

  /** The first check (and rebuild, if needed); then checks keep coming on their own until `stop`. */
  start(): Promise<CheckOutcome> {
    return this.loop('start');
  }

  /** Checks now: Redis is back, or a read found the mark missing. */
  nudge(reason: string): void {
    if (this.stopped || this.inFlight) return;
    void this.loop(reason);
  }

  /** One check at a time per replica; concurrent callers share it. */
  check(reason: string): Promise<CheckOutcome> {
    this.inFlight ??= this.run(reason).finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  /** No more checks; a rebuild in hand stops at its next page and releases the lock. */
  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.inFlight;
  }

  private loop(reason: string): Promise<CheckOutcome> {
    const checked = this.check(reason);
    void checked.then(async (outcome) => {
      if (this.stopped) return;
      const complete = outcome === 'intact' || outcome === 'rebuilt';
      if (complete) await this.pruneWhenDue();
      if (this.stopped) return;
      clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.loop('periodic'), complete ? this.s.checkEveryMs : this.s.retryEveryMs);
    });
    return checked;
  }

  private wait<T>(work: Promise<T>, what: string): Promise<T> {
    const ms = this.s.waitMs;
    return raceDeadline(work, ms, () => new Error(`${what}: no answer within ${ms} ms`));
  }

  private async run(reason: string): Promise<CheckOutcome> {
    try {
      const outcome = await this.checkOnce(reason);
      if (this.failing) this.d.logger.info({ reason, outcome }, 'rankings check works again');
      this.failing = false;
      return outcome;
    } catch (err) {
      if (!this.failing) this.d.logger.warn({ err: (err as Error).message, reason }, 'rankings check failed');
      this.failing = true;
      return 'failed';
    }
  }

  private async checkOnce(reason: string): Promise<CheckOutcome> {
    const intact = await this.wait(this.d.rankings.intact(), 'reading the rankings mark');
    this.d.metrics.rankingsIntact(intact);
    if (intact) return 'intact';
    const token = randomBytes(9).toString('base64url');
    if (!(await this.wait(this.d.rebuild.lock(token, this.s.lockTtlMs), 'taking the rebuild lock'))) return 'busy';
    try {
      // another replica may have finished between our look and our lock
      if (await this.wait(this.d.rankings.intact(), 'reading the rankings mark')) {
        this.d.metrics.rankingsIntact(true);
        return 'intact';
      }
      return await this.rebuild(token, reason);
    } finally {
      await this.wait(this.d.rebuild.unlock(token), 'releasing the rebuild lock').catch(() => undefined);
    }
  }

  private async rebuild(token: string, reason: string): Promise<CheckOutcome> {
    const started = performance.now();
    const now = this.d.clock();
    const since = oldestLiveBucket(now);
    this.d.logger.info({ reason, since: new Date(since).toISOString() }, 'rankings missing in Redis; rebuilding');
    let records = 0;
    let lockLost = false;
    const renewal = setInterval(() => {
      this.wait(this.d.rebuild.renew(token, this.s.lockTtlMs), 'renewing the rebuild lock').then(
        (ok) => (lockLost ||= !ok),
        () => (lockLost = true),
      );
    }, this.s.lockTtlMs / 3);
    const goOn = () => {
      if (lockLost) throw new Aborted('the rebuild lock expired or Redis lost it');
      if (this.stopped) throw new Aborted('shutting down');
    };
    const staged = new Map<string, StagedBucket>();
    // a document seen twice (a backend whose cursor does not isolate updates) would be counted twice
    const seen = new Set<string>();
    const scan = this.d.points.scan(since, this.s.batch, SCAN_SERVER_MS);
    const read = () => this.wait(scan.next(), 'reading engagement from MongoDB');
    // the next batch is read while this one is staged
    let next = read();
    try {
      for (;;) {
        goOn();
        const batch = await next;
        if (batch.length === 0) break;
        next = read();
        const page = batch.filter((doc) => !seen.has(doc._id) && seen.add(doc._id));
        const increments = page.flatMap((doc) => pointsIncrements(doc, pointsOf(doc), now, doc.deleted !== true));
        goOn();
        if (increments.length > 0) {
          await this.wait(this.d.rebuild.stage(token, increments, STAGED_TTL_MS), 'staging rebuilt buckets');
        }
        for (const inc of increments) {
          const r = inc.ranking;
          const key = `${r.kind}:${r.window}:${r.kind === 'posts' && r.tag !== null ? `t:${r.tag}` : 'all'}@${inc.bucket}`;
          if (!staged.has(key)) staged.set(key, { ranking: r, bucket: inc.bucket, expireAt: inc.expireAt });
        }
        records += page.length;
      }
      const buckets = [...staged.values()];
      for (let i = 0; i < buckets.length; i += SWAP_CHUNK) {
        goOn();
        await this.wait(this.d.rebuild.swap(token, buckets.slice(i, i + SWAP_CHUNK)), 'swapping rebuilt buckets in');
      }
      const mark = `${new Date(now).toISOString()} ${token}`;
      if (!(await this.wait(this.d.rebuild.mark(token, mark), 'setting the rankings mark'))) {
        throw new Aborted('Redis lost the rebuild lock before the mark was set');
      }
      const seconds = (performance.now() - started) / 1000;
      this.d.metrics.rankingsIntact(true);
      this.d.metrics.rankingsRebuild('done', seconds, records);
      this.d.logger.info(
        { reason, records, buckets: buckets.length, durationMs: Math.round(seconds * 1000) },
        'rankings rebuilt from MongoDB',
      );
      // pages computed before the loss may hold scores the rename changed
      await this.wait(this.d.pages.bump(['rank']), 'recomputing ranked pages').catch((err: Error) =>
        this.d.logger.warn({ err: err.message }, 'ranked pages not invalidated after the rebuild'),
      );
      return 'rebuilt';
    } catch (err) {
      const outcome: RebuildOutcome = err instanceof Aborted ? 'aborted' : 'failed';
      const seconds = (performance.now() - started) / 1000;
      this.d.metrics.rankingsRebuild(outcome, seconds, records);
      this.d.logger.warn(
        { reason, outcome, records, durationMs: Math.round(seconds * 1000), err: (err as Error).message },
        'rankings rebuild did not finish; trying again',
      );
      return 'failed';
    } finally {
      clearInterval(renewal);
      await next.catch(() => undefined);
      await scan.close().catch(() => undefined);
    }
  }

  private async pruneWhenDue(): Promise<void> {
    if (performance.now() - this.lastPruneAt < this.s.pruneEveryMs) return;
    this.lastPruneAt = performance.now();
    try {
      const dropped = await this.wait(this.d.points.prune(oldestLiveBucket(this.d.clock())), 'pruning engagement');
      if (dropped > 0) this.d.logger.info({ dropped }, 'engagement records older than every window dropped');
    } catch (err) {
      this.d.logger.warn({ err: (err as Error).message }, 'engagement records not pruned');
    }
  }
}
