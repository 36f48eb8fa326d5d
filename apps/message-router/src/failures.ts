/**
 * Which failures are the infrastructure's (wait and retry the same batch, without counting it against
 * the messages) and which may be the message's own (isolate it; its redeliveries count toward
 * `x-delivery-limit`, after which it is dead-lettered instead of blocking its partition). The adapters
 * turn their drivers' errors into these (mongo/store-errors.ts, amqp/publisher.ts).
 */

/** A publish the broker did not confirm (connection lost, nacked, timed out). */
export class PublishError extends Error {
  constructor(cause: unknown) {
    super(`publish not confirmed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'PublishError';
  }
}

/** The store did not answer, or answered "try again" (network, server selection, a retryable write). */
export class StoreUnavailable extends Error {
  constructor(cause: unknown) {
    super(`store unavailable: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'StoreUnavailable';
  }
}

export const isTransient = (err: unknown): boolean => err instanceof PublishError || err instanceof StoreUnavailable;

/** 100 ms doubling to 5 s: long enough not to hammer a store that is down, short enough to resume fast. */
export const retryDelayMs = (attempt: number): number => Math.min(5000, 100 * 2 ** Math.min(attempt, 6));
