import { MongoNetworkError, MongoServerError, MongoServerSelectionError } from 'mongodb';
import { describe, expect, it } from 'vitest';
import { isTransient, StoreUnavailable } from '../failures.js';
import { storeCall } from './store-errors.js';

const failing = (err: Error) => storeCall(() => Promise.reject(err));

describe('storeCall', () => {
  it('turns the driver’s "store away" errors into StoreUnavailable, which the worker waits out', async () => {
    for (const err of [new MongoNetworkError('reset'), new MongoServerSelectionError('no primary', {} as never)]) {
      const thrown = await failing(err).catch((e: unknown) => e);
      expect(thrown).toBeInstanceOf(StoreUnavailable);
      expect(isTransient(thrown)).toBe(true);
    }
  });

  it('passes on a write the server refused for a reason of its own', async () => {
    const refused = new MongoServerError({ message: 'document failed validation', code: 121 });
    const thrown = await failing(refused).catch((e: unknown) => e);
    expect(thrown).toBe(refused);
    expect(isTransient(thrown)).toBe(false);
  });
});
