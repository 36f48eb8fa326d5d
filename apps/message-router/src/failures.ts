/**
 * Which failures are the infrastructure's (wait and retry the same batch, without counting it against
 * the messages) and which may be the message's own (isolate it; its redeliveries count toward
 * `x-delivery-limit`, after which it is dead-lettered instead of blocking its partition).
 */
import {
  MongoError,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from 'mongodb';

/** A publish the broker did not confirm (connection lost, nacked, timed out). */
export class PublishError extends Error {
  constructor(cause: unknown) {
    super(`publish not confirmed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
    this.name = 'PublishError';
  }
}

export function isTransient(err: unknown): boolean {
  if (err instanceof PublishError) return true;
  if (
    err instanceof MongoNetworkError ||
    err instanceof MongoServerSelectionError ||
    err instanceof MongoNotConnectedError ||
    err instanceof MongoTopologyClosedError
  ) {
    return true;
  }
  return (
    err instanceof MongoError &&
    (err.hasErrorLabel('RetryableWriteError') || err.hasErrorLabel('TransientTransactionError'))
  );
}

/** 100 ms doubling to 5 s: long enough not to hammer a store that is down, short enough to resume fast. */
export const retryDelayMs = (attempt: number): number => Math.min(5000, 100 * 2 ** Math.min(attempt, 6));
