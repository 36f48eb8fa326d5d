/**
 * The MongoDB connection (database named by MONGO_URL). Commands are monitored so that every query the
 * service sends is counted (`coffeechat_feed_db_commands_total`): the caching strategy is judged by it.
 * Up/down follows the driver's server heartbeats.
 */
import { type Db, MongoClient } from 'mongodb';

export interface Database {
  client: MongoClient;
  db: Db;
  isUp(): boolean;
  close(): Promise<void>;
}

export async function connectDatabase(url: string, onCommand: (name: string) => void): Promise<Database> {
  const client = new MongoClient(url, {
    monitorCommands: true,
    heartbeatFrequencyMS: 2000,
    serverSelectionTimeoutMS: 5000,
    appName: 'coffeechat-feed',
    // FerretDB's SQLite backend keeps 100 connections per database and deadlocks when they are all taken
    // (apps/message-router/src/mongo/update-each.ts); a small pool per process stays well below that.
    maxPoolSize: 10,
  });
  let up = false;
  client.on('commandStarted', (e) => onCommand(e.commandName));
  client.on('serverHeartbeatSucceeded', () => (up = true));
  client.on('serverHeartbeatFailed', () => (up = false));
  await client.connect();
  up = true;
  return { client, db: client.db(), isUp: () => up, close: () => client.close() };
}
