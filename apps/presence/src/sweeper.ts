/**
 * Runs the sweep script: on a steady period on every replica (expired connections of dead gateways,
 * dues left by a replica that died), and right when a grace period ends on the replica that started
 * it (so a clean close is offline in about `graceMs`, not `graceMs` plus a period). One sweep at a
 * time per replica; the script itself makes concurrent sweeps of several replicas safe.
 */
import type { Logger } from '@coffeechat/service-kit';
import type { SweepOutcome } from './redis/replies.js';

export interface SweeperOptions {
  sweep: () => Promise<SweepOutcome>;
  everyMs: number;
  logger: Logger;
  onSwept: (outcome: SweepOutcome) => void;
}

/** A timer set for the end of a grace period fires this long after it, so the due item is surely due. */
const DUE_MARGIN_MS = 5;

export class Sweeper {
  private interval: NodeJS.Timeout | undefined;
  private readonly timers = new Set<NodeJS.Timeout>();
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;

  constructor(private readonly options: SweeperOptions) {}

  start(): void {
    this.interval = setInterval(() => this.trigger(), this.options.everyMs);
    this.trigger();
  }

  /** Sweeps once `ms` have passed (the end of a grace period this replica started). */
  sweepAfter(ms: number): void {
    if (this.stopped) return;
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.trigger();
    }, ms + DUE_MARGIN_MS);
    this.timers.add(timer);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearInterval(this.interval);
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    await this.running;
  }

  private trigger(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = this.run().finally(() => {
      this.running = undefined;
      if (this.again) {
        this.again = false;
        this.trigger();
      }
    });
  }

  private async run(): Promise<void> {
    try {
      for (;;) {
        const outcome = await this.options.sweep();
        this.options.onSwept(outcome);
        if (!outcome.more || this.stopped) return;
      }
    } catch (err) {
      this.options.logger.warn({ err }, 'presence sweep failed; the next period retries');
    }
  }
}
