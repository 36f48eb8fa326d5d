/**
 * What MongoDB and FerretDB v1 (the local store) need done differently for the same result, decided
 * once from `buildInfo`:
 * - several documents by `_id`: one `$in` on MongoDB (an index lookup). FerretDB v1 pushes only
 *   equality filters down to PostgreSQL and evaluates anything else itself, document by document,
 *   over what PostgreSQL returned: for an `$in`, the whole collection. There each `_id` is its own
 *   equality lookup, in parallel over the driver's pool.
 * - several updates of one collection: one unordered `bulkWrite` on MongoDB. FerretDB v1 keeps the
 *   query of every statement of an update command open, holding one of its PostgreSQL pool's
 *   connections, until the whole command ends, and needs one more for each write: a few
 *   multi-statement commands at once exhaust the pool and deadlock it for good. There each statement
 *   is its own command, which holds at most two connections.
 * - an ordered insert of many documents: FerretDB v1 inserts them a hundred at a time (its
 *   `--test-batch-size`) and stops only that hundred at a duplicate key, then goes on with the next:
 *   a conflict at the 30th of 250 documents left 31–100 out and stored 101–250, a hole in the room's
 *   seqs (docs/reliability.md, D10). There one insert carries at most a hundred documents.
 */
import type { AnyBulkWriteOperation, Collection, Document, Filter, UpdateFilter, WithId } from 'mongodb';

export type StoreServer = 'mongodb' | 'ferretdb';

export interface UpdateStatement<T extends Document> {
  filter: Filter<T>;
  update: UpdateFilter<T>;
  upsert?: boolean;
}

/** FerretDB v1's default `--test-batch-size`: what one of its inserts stops at a duplicate key within */
const FERRETDB_INSERT_BATCH = 100;

export interface StoreDialect {
  /** the most documents one ordered insert may carry and still store nothing after its first error */
  insertLimit: number;
  findByIds<T extends { _id: string }>(collection: Collection<T>, ids: readonly string[]): Promise<WithId<T>[]>;
  updateMany<T extends Document>(collection: Collection<T>, statements: readonly UpdateStatement<T>[]): Promise<void>;
}

export function storeDialect(server: StoreServer): StoreDialect {
  return {
    insertLimit: server === 'ferretdb' ? FERRETDB_INSERT_BATCH : Number.POSITIVE_INFINITY,
    async findByIds<T extends { _id: string }>(collection: Collection<T>, ids: readonly string[]) {
      if (ids.length === 0) return [];
      if (server === 'mongodb') return collection.find({ _id: { $in: [...ids] } } as Filter<T>).toArray();
      const found: WithId<T>[] = [];
      await Promise.all(
        ids.map(async (_id) => {
          const doc = await collection.findOne({ _id } as Filter<T>);
          if (doc) found.push(doc);
        }),
      );
      return found;
    },
    async updateMany<T extends Document>(collection: Collection<T>, statements: readonly UpdateStatement<T>[]) {
      if (statements.length === 0) return;
      if (server === 'ferretdb') {
        await Promise.all(
          statements.map((s) => collection.updateOne(s.filter, s.update, { upsert: s.upsert ?? false })),
        );
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
    },
  };
}
