/**
 * Several updates of one collection as one write. On MongoDB that is one unordered `bulkWrite`. FerretDB
 * v1 (the local store) keeps the query of every statement of an update command open, holding one of its
 * PostgreSQL pool's connections, until the whole command ends, and needs one more for each write: a few
 * multi-statement commands at once exhaust the pool and deadlock it for good. There each statement is
 * its own command (in parallel over the driver's pool), which holds at most two connections.
 */
import type { AnyBulkWriteOperation, Collection, Document, Filter, UpdateFilter } from 'mongodb';

export interface UpdateStatement<T extends Document> {
  filter: Filter<T>;
  update: UpdateFilter<T>;
  upsert?: boolean;
}

export type UpdateWrites = <T extends Document>(
  collection: Collection<T>,
  statements: readonly UpdateStatement<T>[],
) => Promise<void>;

export function updateWrites(server: 'mongodb' | 'ferretdb'): UpdateWrites {
  return async <T extends Document>(collection: Collection<T>, statements: readonly UpdateStatement<T>[]) => {
    if (statements.length === 0) return;
    if (server === 'ferretdb') {
      await Promise.all(statements.map((s) => collection.updateOne(s.filter, s.update, { upsert: s.upsert ?? false })));
      return;
    }
    await collection.bulkWrite(
      statements.map(
        (s): AnyBulkWriteOperation<T> => ({
          updateOne: { filter: s.filter, update: s.update, upsert: s.upsert ?? false },
        }),
      ),
      { ordered: false },
    );
  };
}
