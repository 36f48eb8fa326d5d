/**
 * Feed cache benchmark (issue 4): requests per second and latency percentiles of `GET /posts/popular`
 * and `GET /feed` with a warm cache, side by side in one run with the cache bypassed.
 *
 * It starts two feed processes (apps/feed/dist) on one fresh namespace and database: one with the
 * caches on, one with FEED_CACHE=off (every read goes to MongoDB; rankings stay in Redis, merged with
 * ZUNIONSTORE on every read). It seeds posts, likes and views through the API, then drives each
 * (endpoint, instance) pair with a closed loop of keep-alive HTTP connections for a fixed time after a
 * warm-up, recording every latency in an HDR histogram; cached and bypassed alternate in `--rounds`
 * rounds (the duration split between them) so that a change in the machine's load affects both alike.
 * It also reads each instance's /metrics to report the MongoDB finds and cache hit ratio measured, and
 * /proc for the CPU each feed process spent per request (its own cost, whatever else loads the machine).
 *
 * Run from the repository root (it builds, and starts RabbitMQ, Redis and the MongoDB-wire server as
 * the tests do):
 *   npm run bench -- feed-cache [--duration-sec=10] [--warmup-sec=2] [--connections=8] [--posts=300] [--rounds=2]
 * Writes loadtest/reports/feed-cache-<time>.json and prints a summary. Exit code 0 when it ran.
 */
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { type ServiceProcess, tokenFor } from '@coffeechat/testkit';
import * as hdr from 'hdr-histogram-js';
import { readProc, ticksPerSecond } from '../probes/proc-stats.js';
import { countArg, feedProcesses, machine, positiveArg, ROOT, runBench, writeJsonReport } from './bench-kit.js';

const durationSec = positiveArg('duration-sec', 10);
const warmupSec = positiveArg('warmup-sec', 2);
const connections = countArg('connections', 8);
const postCount = countArg('posts', 300);
const rounds = countArg('rounds', 2);

const TAGS = ['go', 'rust', 'typescript', 'career', 'frontend', 'backend', 'infra', 'ml', 'mobile', 'security'];
const ENDPOINTS = [
  { name: 'popular', path: '/posts/popular?window=24h&limit=20' },
  { name: 'feed', path: '/feed?limit=20' },
] as const;

interface Target {
  mode: 'cached' | 'bypassed';
  proc: ServiceProcess;
  agent: http.Agent;
}

function request(target: Target, method: string, urlPath: string, token: string, body?: unknown): Promise<number> {
  return new Promise((resolve, reject) => {
    const payload = body === undefined ? undefined : JSON.stringify(body);
    const req = http.request(
      {
        host: '127.0.0.1',
        port: target.proc.port,
        method,
        path: urlPath,
        agent: target.agent,
        headers: {
          authorization: `Bearer ${token}`,
          ...(payload ? { 'content-type': 'application/json', 'content-length': Buffer.byteLength(payload) } : {}),
        },
      },
      (res) => {
        res.on('data', () => undefined);
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function createPost(target: Target, token: string, i: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const payload = JSON.stringify({
      title: `coffee chat #${i}`,
      body: `let us talk about ${TAGS[i % TAGS.length]} (${i})`,
      tags: [TAGS[i % TAGS.length], TAGS[(i * 7 + 3) % TAGS.length]],
    });
    const req = http.request(
      {
        host: '127.0.0.1',
        port: target.proc.port,
        method: 'POST',
        path: '/posts',
        agent: target.agent,
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      },
      (res) => {
        let text = '';
        res.on('data', (d: Buffer) => (text += d.toString()));
        res.on('end', () =>
          res.statusCode === 201 ? resolve((JSON.parse(text) as { postId: string }).postId) : reject(new Error(text)),
        );
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

/** Runs `jobs` with at most `width` in flight. */
async function pool<T>(jobs: Array<() => Promise<T>>, width: number): Promise<T[]> {
  const out: T[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < jobs.length) {
        const i = next++;
        out[i] = await (jobs[i] as () => Promise<T>)();
      }
    }),
  );
  return out;
}

async function metricsOf(target: Target): Promise<Map<string, number>> {
  const text = await new Promise<string>((resolve, reject) => {
    http
      .get({ host: '127.0.0.1', port: target.proc.port, path: '/metrics' }, (res) => {
        let body = '';
        res.on('data', (d: Buffer) => (body += d.toString()));
        res.on('end', () => resolve(body));
      })
      .on('error', reject);
  });
  const values = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(coffeechat_feed_[a-z_]+)\{([^}]*)\} ([0-9.e+-]+)$/.exec(line);
    if (m) values.set(`${m[1]}{${(m[2] as string).replace(/,?service="feed"/, '')}}`, Number(m[3]));
  }
  return values;
}

const delta = (before: Map<string, number>, after: Map<string, number>, key: string) =>
  (after.get(key) ?? 0) - (before.get(key) ?? 0);

interface Measured {
  endpoint: string;
  mode: string;
  requests: number;
  errors: number;
  rps: number;
  latencyMs: { p50: number; p90: number; p99: number; p999: number; max: number; mean: number };
  dbFinds: number;
  dbFindsPerRequest: number;
  cacheHitRatio: number | null;
  /** CPU of the feed process per request (µs): the service's own cost, whatever else runs on the machine */
  feedCpuUsPerRequest: number | null;
}

/** CPU time (user + system, ms) a process has used so far, from /proc (Linux); null elsewhere. */
function cpuMs(pid: number | undefined): number | null {
  const reading = pid === undefined ? undefined : readProc(pid);
  return reading ? (reading.cpuTicks * 1000) / ticksPerSecond() : null;
}

interface Run {
  cpuMs: number | null;
  histogram: hdr.Histogram;
  errors: number;
  seconds: number;
  hits: number;
  misses: number;
  finds: number;
}

/** One measured slice of an (endpoint, instance) pair, added to `run`: warm-up, then `seconds` of load. */
async function measureSlice(
  target: Target,
  endpoint: (typeof ENDPOINTS)[number],
  token: string,
  seconds: number,
  run: Run,
) {
  const loop = async (until: number, record: ((us: number, ok: boolean) => void) | null) => {
    await Promise.all(
      Array.from({ length: connections }, async () => {
        while (performance.now() < until) {
          const t0 = performance.now();
          const status = await request(target, 'GET', endpoint.path, token);
          record?.(Math.max(1, Math.round((performance.now() - t0) * 1000)), status === 200);
        }
      }),
    );
  };
  await loop(performance.now() + warmupSec * 1000, null);
  const before = await metricsOf(target);
  const cpuBefore = cpuMs(target.proc.child.pid);
  const started = performance.now();
  await loop(started + seconds * 1000, (us, ok) => {
    run.histogram.recordValue(us);
    if (!ok) run.errors += 1;
  });
  run.seconds += (performance.now() - started) / 1000;
  const cpuAfter = cpuMs(target.proc.child.pid);
  run.cpuMs = cpuBefore === null || cpuAfter === null || run.cpuMs === null ? null : run.cpuMs + cpuAfter - cpuBefore;
  const after = await metricsOf(target);
  run.hits += delta(before, after, `coffeechat_feed_cache_hits_total{cache="${endpoint.name}"}`);
  run.misses += delta(before, after, `coffeechat_feed_cache_misses_total{cache="${endpoint.name}"}`);
  run.finds += delta(before, after, 'coffeechat_feed_db_commands_total{command="find"}');
}

function summarize(target: Target, endpoint: (typeof ENDPOINTS)[number], run: Run): Measured {
  const requests = run.histogram.totalCount;
  const ms = (us: number) => Math.round(us) / 1000;
  const h = run.histogram;
  return {
    endpoint: `GET ${endpoint.path}`,
    mode: target.mode,
    requests,
    errors: run.errors,
    rps: Math.round(requests / run.seconds),
    latencyMs: {
      p50: ms(h.getValueAtPercentile(50)),
      p90: ms(h.getValueAtPercentile(90)),
      p99: ms(h.getValueAtPercentile(99)),
      p999: ms(h.getValueAtPercentile(99.9)),
      max: ms(h.maxValue),
      mean: Math.round(h.mean) / 1000,
    },
    dbFinds: run.finds,
    dbFindsPerRequest: requests ? Math.round((run.finds / requests) * 1000) / 1000 : 0,
    cacheHitRatio:
      run.hits + run.misses > 0 ? Math.round((run.hits / (run.hits + run.misses)) * 10_000) / 10_000 : null,
    feedCpuUsPerRequest: run.cpuMs === null || requests === 0 ? null : Math.round((run.cpuMs * 1000) / requests),
  };
}

async function main() {
  const feeds = feedProcesses('benchfeed');
  const { ns } = feeds;
  const loadAvgAtStart = os.loadavg();
  const env = {
    LOG_LEVEL: 'warn',
    // one reader drives thousands of requests a second: the per-user limit is still counted in Redis (its
    // cost is in the numbers) but set so that it never refuses
    HTTP_REQUESTS_PER_SEC: '1000000',
  };
  try {
    const cachedProc = await feeds.start({ ...env, FEED_CACHE: 'on' });
    const bypassProc = await feeds.start({ ...env, FEED_CACHE: 'off' });
    const agent = () => new http.Agent({ keepAlive: true, maxSockets: connections });
    const cached: Target = { mode: 'cached', proc: cachedProc, agent: agent() };
    const bypassed: Target = { mode: 'bypassed', proc: bypassProc, agent: agent() };

    console.log(`[feed-bench] seeding ${postCount} posts, likes and views (namespace ${ns})`);
    const authors = await Promise.all(Array.from({ length: 30 }, (_, i) => tokenFor(`author${i}`)));
    const fans = await Promise.all(Array.from({ length: 40 }, (_, i) => tokenFor(`fan${i}`)));
    const postIds = await pool(
      Array.from({ length: postCount }, (_, i) => () => createPost(cached, authors[i % authors.length] as string, i)),
      8,
    );
    const engagement: Array<() => Promise<number>> = [];
    postIds.forEach((postId, i) => {
      const likes = (i * 37) % 9;
      const views = (i * 13) % 7;
      for (let f = 0; f < likes; f++)
        engagement.push(() => request(cached, 'PUT', `/posts/${postId}/like`, fans[f] as string));
      for (let f = 0; f < views; f++)
        engagement.push(() => request(cached, 'GET', `/posts/${postId}`, fans[f + 20] as string));
    });
    const statuses = await pool(engagement, 8);
    if (statuses.some((s) => s >= 300)) throw new Error('seeding engagement failed');

    const reader = await tokenFor('bench-reader');
    // cached and bypassed alternate in rounds, so a change in the machine's load hits both alike
    const results: Measured[] = [];
    for (const endpoint of ENDPOINTS) {
      const runs = new Map<Target, Run>();
      for (const target of [cached, bypassed]) {
        const histogram = hdr.build({
          lowestDiscernibleValue: 1,
          highestTrackableValue: 60_000_000,
          numberOfSignificantValueDigits: 3,
        });
        runs.set(target, { cpuMs: 0, histogram, errors: 0, seconds: 0, hits: 0, misses: 0, finds: 0 });
      }
      for (let round = 1; round <= rounds; round++) {
        for (const target of [cached, bypassed]) {
          console.log(
            `[feed-bench] ${endpoint.name} ${target.mode} round ${round}/${rounds}: ${warmupSec}s warm-up, ${durationSec / rounds}s x ${connections} connections`,
          );
          await measureSlice(target, endpoint, reader, durationSec / rounds, runs.get(target) as Run);
        }
      }
      for (const [target, run] of runs) {
        results.push(summarize(target, endpoint, run));
        run.histogram.destroy();
      }
    }
    for (const t of [cached, bypassed]) t.agent.destroy();

    const comparison = ENDPOINTS.map((e) => {
      const c = results.find((r) => r.endpoint.endsWith(e.path) && r.mode === 'cached') as Measured;
      const b = results.find((r) => r.endpoint.endsWith(e.path) && r.mode === 'bypassed') as Measured;
      return {
        endpoint: c.endpoint,
        cachedRps: c.rps,
        bypassedRps: b.rps,
        ratio: Math.round((c.rps / b.rps) * 10) / 10,
        cachedP99Ms: c.latencyMs.p99,
        bypassedP99Ms: b.latencyMs.p99,
        meetsTarget: c.rps >= 10 * b.rps && c.latencyMs.p99 < 10,
      };
    });
    const report = {
      scenario: 'feed-cache',
      at: new Date().toISOString(),
      machine: machine(loadAvgAtStart),
      params: { durationSec, warmupSec, connections, posts: postCount, rounds },
      target: 'cached ≥ 10× bypassed requests/s and cached p99 < 10 ms',
      comparison,
      results,
    };
    const file = writeJsonReport(report);

    console.log(
      '\nendpoint                               mode       req/s    p50 ms   p99 ms   max ms  finds/req  hit ratio  feed CPU µs/req',
    );
    for (const r of results) {
      console.log(
        `${r.endpoint.padEnd(38)} ${r.mode.padEnd(9)} ${String(r.rps).padStart(6)} ${r.latencyMs.p50.toFixed(2).padStart(8)} ${r.latencyMs.p99.toFixed(2).padStart(8)} ${r.latencyMs.max.toFixed(2).padStart(8)} ${r.dbFindsPerRequest.toFixed(3).padStart(10)} ${String(r.cacheHitRatio ?? '-').padStart(10)} ${String(r.feedCpuUsPerRequest ?? '-').padStart(16)}${r.errors ? `  errors=${r.errors}` : ''}`,
      );
    }
    for (const c of comparison) {
      console.log(
        `${c.endpoint}: cached/bypassed = ${c.ratio}x, cached p99 ${c.cachedP99Ms} ms ${c.meetsTarget ? '(meets target)' : '(misses target)'}`,
      );
    }
    console.log(
      `load average at start ${loadAvgAtStart.map((l) => l.toFixed(1)).join(' ')}, at end ${os
        .loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} (${os.cpus().length} CPUs)`,
    );
    console.log(`report: ${path.relative(ROOT, file)}`);
  } finally {
    await feeds.stop();
  }
}

runBench(main);
