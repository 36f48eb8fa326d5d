/**
 * Page invalidation that a loop cannot turn into a cache flush per request: a like or unlike bumps the
 * `rank` generation (every ranked page is recomputed after a bump), so a user toggling a like 50 times a
 * second would otherwise make every ranked read of every user a miss. A bump runs at once when the last
 * one was at least `windowMs` ago; changes within the window after it share one bump at its end. A change
 * thus shows in every read within `windowMs` plus the recomputation (SPEC §5: within 1 s), and each
 * replica recomputes the ranked pages at most 1000 / `windowMs` times a second, however fast likes come.
 * Elapsed time is the process's monotonic clock, not the feed's (injectable) domain clock.
 */
import { performance } from 'node:perf_hooks';
import type { Generation } from './redis/keys.js';

export class CoalescedBumps {
  private readonly lastAt = new Map<Generation, number>();
  private readonly trailing = new Map<Generation, NodeJS.Timeout>();

  constructor(
    private readonly bump: (generations: readonly Generation[]) => Promise<void>,
    private readonly windowMs: number,
    private readonly onLateError: (err: unknown) => void,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Resolves once the bump ran, or once one is scheduled for the end of the current window. */
  async request(generation: Generation): Promise<void> {
    if (this.trailing.has(generation)) return;
    const since = this.now() - (this.lastAt.get(generation) ?? Number.NEGATIVE_INFINITY);
    if (since >= this.windowMs) return this.run(generation);
    const timer = setTimeout(() => {
      this.trailing.delete(generation);
      this.run(generation).catch(this.onLateError);
    }, this.windowMs - since);
    this.trailing.set(generation, timer);
  }

  /** Runs the scheduled bumps now (shutdown: nothing is left unannounced). */
  async flush(): Promise<void> {
    const due = [...this.trailing.keys()];
    for (const timer of this.trailing.values()) clearTimeout(timer);
    this.trailing.clear();
    if (due.length > 0) await this.bump(due);
  }

  private run(generation: Generation): Promise<void> {
    this.lastAt.set(generation, this.now());
    return this.bump([generation]);
  }
}
