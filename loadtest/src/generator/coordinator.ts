/**
 * The generator as one object: forks the worker processes, hands each its rooms (all members of a
 * room go to one worker), runs phases, and merges what the workers report into a per-second
 * timeline and per-phase results.
 */
import { type ChildProcess, fork } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decode, type Histogram, type LatencySummary, merge, newHistogram, summarize } from './latency.js';
import { addCounts, emptyCounts, type LedgerCounts } from './ledger.js';
import type { Anomaly, ConnectReport, DrainReport, DriverSetup, FromWorker, ToWorker, WorkerTick } from './messages.js';
import { type PlannedMember, type PlannedRoom, shareOf } from './plan.js';
import { isSaturated, isStarved } from './self-monitor.js';

export interface GeneratorOptions extends DriverSetup {
  workers: number;
  connectPerSec: number;
  rooms: PlannedRoom[];
  idleUsers?: PlannedMember[];
  /** how long connecting may take before the run gives up */
  connectTimeoutMs?: number;
  /** Date.now() of the run's clock origin, so timelines of several generators line up */
  origin?: number;
}

export interface TimelinePoint {
  /** seconds since the generator started */
  t: number;
  sentPerSec: number;
  ackedPerSec: number;
  deliveredPerSec: number;
  deliver: LatencySummary;
  ack: LatencySummary;
  connected: number;
  /** the busiest worker this second */
  generatorCpuPct: number;
  generatorLagP99Ms: number;
}

export interface ConnectResult {
  connected: number;
  failed: number;
  failedAttempts: number;
  failures: string[];
  latencyMs: LatencySummary;
  durationSec: number;
  perSec: number;
}

export interface GeneratorHealth {
  /** seconds in which a worker used ≥ 85% of a core: the generator was the bottleneck */
  saturatedSeconds: number;
  /** seconds in which a worker's loop lagged ≥ 50 ms without using the CPU: the machine was oversubscribed */
  starvedSeconds: number;
  maxCpuPct: number;
  maxLagP99Ms: number;
}

export interface PhaseResult {
  counts: LedgerCounts;
  deliver: Histogram;
  ack: Histogram;
  errors: Record<string, number>;
  retries: number;
  disconnects: number;
  connected: number;
  /** the first duplicate and out-of-order frames, `at` in timeline seconds */
  anomalies: Anomaly[];
}

interface Bucket {
  deliver: Histogram;
  ack: Histogram;
  sent: number;
  acked: number;
  delivered: number;
  connected: Map<number, number>;
  cpu: number;
  lag: number;
}

const WORKER_SCRIPT = path.join(path.dirname(fileURLToPath(import.meta.url)), 'worker.js');

export class Generator {
  private readonly children: ChildProcess[] = [];
  private readonly t0: number;
  private readonly open = new Map<number, Bucket>();
  private readonly points: TimelinePoint[] = [];
  private waiters: { kind: FromWorker['kind']; got: FromWorker[]; resolve: (m: FromWorker[]) => void }[] = [];
  private fatal: string | undefined;
  connect: ConnectResult | undefined;

  private constructor(private readonly opts: GeneratorOptions) {
    this.t0 = opts.origin ?? Date.now();
  }

  static async start(opts: GeneratorOptions): Promise<Generator> {
    const g = new Generator(opts);
    await g.spawn();
    return g;
  }

  private async spawn(): Promise<void> {
    const n = this.opts.workers;
    for (let w = 0; w < n; w++) {
      const child = fork(WORKER_SCRIPT, [], {
        stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
        serialization: 'advanced',
      });
      child.on('message', (m: FromWorker) => this.onMessage(m));
      child.on('exit', (code) => {
        if (code !== 0 && code !== null) this.fatal ??= `generator worker ${w} exited with ${code}`;
      });
      this.children.push(child);
    }
    const reports = this.expect('connected', this.opts.connectTimeoutMs ?? 600_000);
    for (const [w, child] of this.children.entries()) {
      this.tell(child, {
        kind: 'init',
        worker: w,
        driver: this.opts.driver,
        urls: this.opts.urls,
        jwtSecret: this.opts.jwtSecret,
        messageBytes: this.opts.messageBytes,
        connectPerSec: this.opts.connectPerSec / n,
        rooms: shareOf(this.opts.rooms, w, n),
        idleUsers: shareOf(this.opts.idleUsers ?? [], w, n),
      });
    }
    const got = (await reports) as ConnectReport[];
    const latency = merge(got.map((r) => decode(r.connectLatency)));
    const startedAt = Math.min(...got.map((r) => r.startedAt));
    const durationSec = (Math.max(...got.map((r) => r.finishedAt)) - startedAt) / 1000;
    const connected = got.reduce((s, r) => s + r.connected, 0);
    this.connect = {
      connected,
      failed: got.reduce((s, r) => s + r.failed, 0),
      failedAttempts: got.reduce((s, r) => s + r.failedAttempts, 0),
      failures: got.flatMap((r) => r.failures).slice(0, 10),
      latencyMs: summarize(latency),
      durationSec,
      perSec: Math.round(connected / Math.max(durationSec, 0.001)),
    };
  }

  private tell(child: ChildProcess, msg: ToWorker): void {
    child.send(msg);
  }

  private broadcast(msg: ToWorker): void {
    for (const c of this.children) this.tell(c, msg);
  }

  /** Resolves with one message of `kind` from every worker. */
  private expect(kind: FromWorker['kind'], timeoutMs: number): Promise<FromWorker[]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`generator: no ${kind} from every worker in ${timeoutMs} ms`)),
        timeoutMs,
      );
      this.waiters.push({
        kind,
        got: [],
        resolve: (m) => {
          clearTimeout(timer);
          resolve(m);
        },
      });
    });
  }

  private onMessage(m: FromWorker): void {
    if (m.kind === 'tick') {
      this.onTick(m);
      return;
    }
    if (m.kind === 'fatal') {
      this.fatal ??= `generator worker ${m.worker}: ${m.message}`;
      process.stderr.write(`[bench] ${this.fatal}\n`);
      return;
    }
    const waiter = this.waiters.find((w) => w.kind === m.kind);
    if (!waiter) return;
    waiter.got.push(m);
    if (waiter.got.length === this.children.length) {
      this.waiters = this.waiters.filter((w) => w !== waiter);
      waiter.resolve(waiter.got);
    }
  }

  private onTick(m: WorkerTick): void {
    const second = Math.round((m.at - this.t0) / 1000);
    let b = this.open.get(second);
    if (!b) {
      b = {
        deliver: newHistogram(),
        ack: newHistogram(),
        sent: 0,
        acked: 0,
        delivered: 0,
        connected: new Map(),
        cpu: 0,
        lag: 0,
      };
      this.open.set(second, b);
    }
    b.deliver.add(decode(m.deliver));
    b.ack.add(decode(m.ack));
    b.sent += m.sent;
    b.acked += m.acked;
    b.delivered += m.delivered;
    b.connected.set(m.worker, m.connected);
    b.cpu = Math.max(b.cpu, m.self.cpuPct);
    b.lag = Math.max(b.lag, m.self.lagP99Ms);
    // Buckets two seconds old are complete: summarize them and drop the histograms.
    for (const [s, old] of this.open) if (s <= second - 2) this.close(s, old);
  }

  private close(second: number, b: Bucket): void {
    this.open.delete(second);
    this.points.push(this.toPoint(second, b));
  }

  private toPoint(second: number, b: Bucket): TimelinePoint {
    return {
      t: second,
      sentPerSec: b.sent,
      ackedPerSec: b.acked,
      deliveredPerSec: b.delivered,
      deliver: summarize(b.deliver),
      ack: summarize(b.ack),
      connected: [...b.connected.values()].reduce((a, c) => a + c, 0),
      generatorCpuPct: b.cpu,
      generatorLagP99Ms: Math.round(b.lag * 10) / 10,
    };
  }

  /** Seconds since the generator started (the timeline's clock). */
  now(): number {
    return (Date.now() - this.t0) / 1000;
  }

  /** Sends at `ratePerRoom` in every room for `durationSec`; resolves when the time is up. */
  async phase(phase: number, ratePerRoom: number, durationSec: number): Promise<void> {
    this.check();
    this.broadcast({ kind: 'phase', phase, ratePerRoom, durationMs: durationSec * 1000 });
    await new Promise((r) => setTimeout(r, durationSec * 1000));
  }

  /** Waits for outstanding acks and deliveries of `phase` (null: of the whole run) and merges the counts. */
  async drain(phase: number | null, timeoutSec: number): Promise<PhaseResult> {
    this.check();
    const replies = this.expect('drained', (timeoutSec + 120) * 1000);
    this.broadcast({ kind: 'drain', phase, timeoutMs: timeoutSec * 1000 });
    const got = (await replies) as DrainReport[];
    const errors: Record<string, number> = {};
    for (const r of got) for (const [code, n] of Object.entries(r.errors)) errors[code] = (errors[code] ?? 0) + n;
    return {
      counts: got.reduce((c, r) => addCounts(c, r.counts), emptyCounts()),
      deliver: merge(got.map((r) => decode(r.deliver))),
      ack: merge(got.map((r) => decode(r.ack))),
      errors,
      retries: got.reduce((s, r) => s + r.retries, 0),
      disconnects: got.reduce((s, r) => s + r.disconnects, 0),
      connected: got.reduce((s, r) => s + r.connected, 0),
      anomalies: got
        .flatMap((r) => r.anomalies)
        .map((a) => ({ ...a, at: Math.round((a.at - this.t0) / 100) / 10 }))
        .sort((a, b) => a.at - b.at),
    };
  }

  private check(): void {
    if (this.fatal) throw new Error(this.fatal);
  }

  timeline(): TimelinePoint[] {
    const pending = [...this.open].map(([s, b]) => this.toPoint(s, b));
    return [...this.points, ...pending].sort((a, b) => a.t - b.t);
  }

  /** Seconds in which some worker was saturated (or starved of CPU), and the worst values seen. */
  saturation(from = 0, to = Number.POSITIVE_INFINITY): GeneratorHealth {
    const pts = this.timeline().filter((p) => p.t >= from && p.t <= to);
    const sample = (p: TimelinePoint) => ({ cpuPct: p.generatorCpuPct, lagP99Ms: p.generatorLagP99Ms });
    return {
      saturatedSeconds: pts.filter((p) => isSaturated(sample(p))).length,
      starvedSeconds: pts.filter((p) => isStarved(sample(p))).length,
      maxCpuPct: Math.max(0, ...pts.map((p) => p.generatorCpuPct)),
      maxLagP99Ms: Math.max(0, ...pts.map((p) => p.generatorLagP99Ms)),
    };
  }

  pids(): { name: string; pid: number }[] {
    return this.children.flatMap((c, w) => (c.pid ? [{ name: `generator-${w}`, pid: c.pid }] : []));
  }

  async stop(): Promise<void> {
    await Promise.all(
      this.children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            const timer = setTimeout(() => c.kill('SIGKILL'), 5000);
            c.once('exit', () => {
              clearTimeout(timer);
              resolve();
            });
            if (c.connected) this.tell(c, { kind: 'stop' });
            else c.kill('SIGTERM');
          }),
      ),
    );
  }
}
