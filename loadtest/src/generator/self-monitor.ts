/**
 * The generator watching itself: CPU of this process (share of one core) and event-loop delay per
 * interval. A generator near a full core, or with a lagging loop, measures itself, not the server.
 */
import { monitorEventLoopDelay } from 'node:perf_hooks';

export interface SelfSample {
  cpuPct: number;
  lagP99Ms: number;
  lagMaxMs: number;
  rssBytes: number;
}

export const SATURATION = { cpuPct: 85, lagP99Ms: 50 } as const;

/** The generator itself is the bottleneck: it used (nearly) a whole core. */
export function isSaturated(s: Pick<SelfSample, 'cpuPct' | 'lagP99Ms'>): boolean {
  return s.cpuPct >= SATURATION.cpuPct;
}

/**
 * The generator's loop lagged without using much CPU: it was not scheduled, because other
 * processes had the cores. Its timestamps then carry that delay too.
 */
export function isStarved(s: Pick<SelfSample, 'cpuPct' | 'lagP99Ms'>): boolean {
  return s.cpuPct < SATURATION.cpuPct && s.lagP99Ms >= SATURATION.lagP99Ms;
}

export class SelfMonitor {
  private readonly delay = monitorEventLoopDelay({ resolution: 10 });
  private lastCpu = process.cpuUsage();
  private lastAt = performance.now();

  constructor() {
    this.delay.enable();
  }

  /** Samples since the previous call. */
  sample(): SelfSample {
    const cpu = process.cpuUsage();
    const now = performance.now();
    const usedUs = cpu.user - this.lastCpu.user + (cpu.system - this.lastCpu.system);
    const wallUs = Math.max(1, (now - this.lastAt) * 1000);
    const out: SelfSample = {
      cpuPct: Math.round((usedUs / wallUs) * 1000) / 10,
      // the histogram's values include the sampling resolution itself
      lagP99Ms: Math.max(0, (this.delay.percentile(99) || 0) / 1e6 - 10),
      lagMaxMs: Math.max(0, (this.delay.max || 0) / 1e6 - 10),
      rssBytes: process.memoryUsage.rss(),
    };
    this.lastCpu = cpu;
    this.lastAt = now;
    this.delay.reset();
    return out;
  }

  stop(): void {
    this.delay.disable();
  }
}
