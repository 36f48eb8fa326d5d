/**
 * Batches what arrived together: the first arrival schedules a flush on the next tick (`defer`), so a
 * lone message waits for nothing but the current I/O callback; a full batch (`max`) starts at once.
 * One batch runs at a time (order within the partition); whatever arrives meanwhile forms the next
 * batch, so batches grow with load by themselves.
 */
export interface BatcherOptions<T> {
  max: number;
  process: (batch: T[]) => Promise<void>;
  defer?: (fn: () => void) => void;
}

export class Batcher<T> {
  private queue: T[] = [];
  private running = false;
  private scheduled = false;
  private idleWaiters: Array<() => void> = [];
  private readonly max: number;
  private readonly process: (batch: T[]) => Promise<void>;
  private readonly defer: (fn: () => void) => void;

  constructor({ max, process, defer = setImmediate }: BatcherOptions<T>) {
    this.max = max;
    this.process = process;
    this.defer = defer;
  }

  get pending(): number {
    return this.queue.length;
  }

  get busy(): boolean {
    return this.running || this.queue.length > 0;
  }

  push(item: T): void {
    this.queue.push(item);
    if (this.running) return;
    if (this.queue.length >= this.max) {
      void this.drain();
      return;
    }
    if (!this.scheduled) {
      this.scheduled = true;
      this.defer(() => {
        this.scheduled = false;
        void this.drain();
      });
    }
  }

  /** Drops what has not started (its deliveries went back to the broker with their channel). */
  discard(): void {
    this.queue = [];
    if (!this.running) this.notifyIdle();
  }

  /** Resolves once nothing is queued or running. */
  whenIdle(): Promise<void> {
    if (!this.busy && !this.scheduled) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length > 0) await this.process(this.queue.splice(0, this.max));
    } finally {
      this.running = false;
      this.notifyIdle();
    }
  }

  private notifyIdle(): void {
    if (this.busy) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }
}
