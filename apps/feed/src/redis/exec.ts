import type { ChainableCommander } from 'ioredis';

/** Runs a pipeline/transaction and throws its first failed command's error (ioredis only reports them). */
export async function execOrThrow(pipeline: ChainableCommander): Promise<unknown[]> {
  const results = (await pipeline.exec()) ?? [];
  return results.map(([err, value]) => {
    if (err) throw err;
    return value;
  });
}
