/**
 * Samples CPU and RSS of the measured processes once a second, so every phase can report what
 * each server used and which one ran out of CPU first.
 */
import { readProc, readProcTree, ticksPerSecond } from './proc-stats.js';

export interface ProcessSample {
  t: number;
  cpuPct: number;
  rssBytes: number;
}

export interface ProcessUsage {
  name: string;
  pid: number;
  /** average CPU over the window, % of one core */
  cpuPct: number;
  maxCpuPct: number;
  /** RSS at the end of the window */
  rssBytes: number;
  maxRssBytes: number;
}

interface Tracked {
  pid: number;
  /** measured with its children (a PostgreSQL postmaster and its backends) */
  tree: boolean;
  last: { at: number; ticks: number } | undefined;
  samples: ProcessSample[];
}

export class ProcessSampler {
  private readonly tracked = new Map<string, Tracked>();
  private readonly timer: NodeJS.Timeout;

  /** `clock` gives the timeline's seconds, so samples line up with the generator's points */
  constructor(private readonly clock: () => number) {
    this.timer = setInterval(() => this.sample(), 1000);
  }

  /** Starts (or, after a restart, re-points) tracking `name`; `tree` counts its children too. */
  track(name: string, pid: number, tree = false): void {
    const existing = this.tracked.get(name);
    if (existing) {
      existing.pid = pid;
      existing.tree = tree;
      existing.last = undefined;
    } else {
      this.tracked.set(name, { pid, tree, last: undefined, samples: [] });
    }
    this.sample(name);
  }

  private sample(only?: string): void {
    const hz = ticksPerSecond();
    const now = performance.now();
    for (const [name, p] of this.tracked) {
      if (only && name !== only) continue;
      const r = p.tree ? readProcTree(p.pid) : readProc(p.pid);
      // a zombie (exited, not yet reaped) has no VmRSS: treat it as gone
      if (!r || r.rssBytes === 0) {
        p.last = undefined;
        continue;
      }
      if (p.last) {
        const cpuPct = ((r.cpuTicks - p.last.ticks) / hz / ((now - p.last.at) / 1000)) * 100;
        p.samples.push({ t: this.clock(), cpuPct: Math.round(cpuPct * 10) / 10, rssBytes: r.rssBytes });
      }
      p.last = { at: now, ticks: r.cpuTicks };
    }
  }

  /** Current RSS of a tracked process (read now). */
  rss(name: string): number | undefined {
    const p = this.tracked.get(name);
    return p ? (p.tree ? readProcTree(p.pid) : readProc(p.pid))?.rssBytes : undefined;
  }

  series(): Record<string, ProcessSample[]> {
    return Object.fromEntries([...this.tracked].map(([name, p]) => [name, p.samples]));
  }

  /** Usage per process between two timeline seconds. */
  usage(from = 0, to = Number.POSITIVE_INFINITY): ProcessUsage[] {
    return [...this.tracked].map(([name, p]) => {
      const s = p.samples.filter((x) => x.t >= from && x.t <= to);
      const avg = s.length ? s.reduce((a, x) => a + x.cpuPct, 0) / s.length : 0;
      return {
        name,
        pid: p.pid,
        cpuPct: Math.round(avg * 10) / 10,
        maxCpuPct: Math.max(0, ...s.map((x) => x.cpuPct)),
        rssBytes: s.at(-1)?.rssBytes ?? 0,
        maxRssBytes: Math.max(0, ...s.map((x) => x.rssBytes)),
      };
    });
  }

  stop(): void {
    clearInterval(this.timer);
  }
}
