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
  private paused = false;
  private current: Promise<void> | undefined;
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

  push(item: T): void {
    this.queue.push(item);
    if (this.running || this.paused) return;
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

  /**
   * Starts no further batch and resolves once the running one (if any) has finished. What is queued
   * stays queued: the caller closes the channel so those deliveries go back to the broker, in order.
   */
  async pause(): Promise<void> {
    this.paused = true;
    while (this.current) await this.current;
  }

  /** Drops what has not started (its deliveries went back to the broker with their channel). */
  discard(): void {
    this.queue = [];
  }

  private async drain(): Promise<void> {
    if (this.running) return;
    this.running = true;
    try {
      while (this.queue.length > 0 && !this.paused) {
        this.current = this.process(this.queue.splice(0, this.max));
        await this.current;
        this.current = undefined;
      }
    } finally {
      this.running = false;
    }
  }
}
