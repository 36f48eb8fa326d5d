/**
 * Single-flight loading: concurrent requests for the same cold key share one load. `BatchFlight` does
 * the same per key for loads that fetch many keys at once (one database query for a page of posts).
 */
export class SingleFlight<V> {
  private readonly inflight = new Map<string, Promise<V>>();

  run(key: string, load: () => Promise<V>): Promise<V> {
    const pending = this.inflight.get(key);
    if (pending) return pending;
    const promise = load().finally(() => this.inflight.delete(key));
    this.inflight.set(key, promise);
    return promise;
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
      const promise = load(fresh).finally(() => {
        for (const key of fresh) if (this.inflight.get(key) === promise) this.inflight.delete(key);
      });
      for (const key of fresh) this.inflight.set(key, promise);
      joined.add(promise);
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
