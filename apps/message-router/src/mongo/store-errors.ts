/**
 * The driver's errors as the router's own (failures.ts): whatever says the store is away or asks for a
 * retry becomes `StoreUnavailable`; anything else (a write the server refused for a reason of its own)
 * is passed on as it is. Unique-key conflicts are answered where they are expected, as values.
 */
import {
  MongoError,
  MongoNetworkError,
  MongoNotConnectedError,
  MongoServerError,
  MongoServerSelectionError,
  MongoTopologyClosedError,
} from 'mongodb';
import { StoreUnavailable } from '../failures.js';

/** MongoDB's code for a write a unique index refused. */
export const DUPLICATE_KEY = 11000;

function transient(err: unknown): boolean {
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

/** Runs one store call; its driver error comes out as the router's. */
export async function storeCall<T>(work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (err) {
    throw transient(err) ? new StoreUnavailable(err) : err;
  }
}

/** A write refused by a unique index (the conflict the caller expects and answers). */
export const isDuplicateKey = (err: unknown): boolean => err instanceof MongoServerError && err.code === DUPLICATE_KEY;
