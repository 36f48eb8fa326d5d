/**
 * Single-flight loading: concurrent requests for the same cold key share one load. `BatchFlight` does
 * the same per key for loads that fetch many keys at once (one database query for a page of posts).
 *
 * A successful load stays joinable until the end of the event-loop turn it settled in: a caller whose
 * cache read was answered in the same batch of Redis replies as the load's cache write saw a miss, and
 * its continuation may run after the load's; it joins instead of querying again (seen under CPU
 * contention: two queries for one cold post in test/caching.test.ts). A failed load is forgotten at once.
 */

/** Runs `forget` once the current turn's callbacks have run (successes), or at once (failures). */
function forgetAfterTurn<V>(promise: Promise<V>, forget: () => void): Promise<V> {
  promise.then(
    () => setImmediate(forget),
    () => forget(),
  );
  return promise;
}
export class SingleFlight<V> {
  private readonly inflight = new Map<string, Promise<V>>();

  run(key: string, load: () => Promise<V>): Promise<V> {
    const pending = this.inflight.get(key);
    if (pending) return pending;
    const promise = load();
    this.inflight.set(key, promise);
    return forgetAfterTurn(promise, () => {
      if (this.inflight.get(key) === promise) this.inflight.delete(key);
    });
  }
}

export class BatchFlight<V> {
  private readonly inflight = new Map<string, Promise<ReadonlyMap<string, V>>>();

  /** Values for `keys`: keys already being loaded join that load; the rest are loaded together. */
  async run(
    keys: readonly string[],
    load: (keys: string[]) => Promise<ReadonlyMap<string, V>>,
  ): Promise<Map<string, V>> {
    const joined = new Set<Promise<ReadonlyMap<string, V>>>();
    const fresh: string[] = [];
    for (const key of new Set(keys)) {
      const pending = this.inflight.get(key);
      if (pending) joined.add(pending);
      else fresh.push(key);
    }
    if (fresh.length > 0) {
      const promise = load(fresh);
      for (const key of fresh) this.inflight.set(key, promise);
      joined.add(
        forgetAfterTurn(promise, () => {
          for (const key of fresh) if (this.inflight.get(key) === promise) this.inflight.delete(key);
        }),
      );
    }
    const out = new Map<string, V>();
    for (const result of await Promise.all(joined)) {
      for (const key of keys) {
        const value = result.get(key);
        if (value !== undefined) out.set(key, value);
      }
    }
    return out;
  }
}
