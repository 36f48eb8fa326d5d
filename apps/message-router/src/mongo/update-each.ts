/**
 * Applies updates one statement per command, in parallel over the driver's pool, instead of one
 * multi-statement `update` (`bulkWrite`). FerretDB v1 (the local store) keeps the query of every
 * statement that matched a document open, holding one of the database's 100 SQLite connections, until
 * the whole command ends, and needs one more connection for each write: four batches raising 60 rooms
 * each deadlocked the database for good (test/message-store.test.ts). One statement per command holds
 * at most two connections, and the driver's pool bounds how many run. MongoDB pays a round trip per
 * statement, sent concurrently.
 */
import type { Collection, Document, Filter, UpdateFilter } from 'mongodb';

export interface UpdateStatement<T extends Document> {
  filter: Filter<T>;
  update: UpdateFilter<T>;
  upsert?: boolean;
}

export async function updateEach<T extends Document>(
  collection: Collection<T>,
  statements: readonly UpdateStatement<T>[],
): Promise<void> {
  await Promise.all(statements.map((s) => collection.updateOne(s.filter, s.update, { upsert: s.upsert ?? false })));
}
