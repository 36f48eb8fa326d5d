/** Removes what a feed run left under its namespace: Redis keys, the MongoDB database, queues and exchanges. */
import { feedTopology, topology } from '@coffeechat/contracts';
import amqp from 'amqplib';
import { MongoClient } from 'mongodb';
import { deleteRedisKeys } from './redis-keys.js';
import { mongoUrlFor, servers } from './servers.js';

export async function removeFeedNamespace(ns: string): Promise<void> {
  await deleteRedisKeys(`${ns}:*`);
  const mongo = new MongoClient(mongoUrlFor(ns));
  try {
    await mongo.db().dropDatabase();
  } finally {
    await mongo.close();
  }
  const conn = await amqp.connect(servers.amqpUrl);
  try {
    const ch = await conn.createChannel();
    const feed = feedTopology(ns);
    await ch.deleteQueue(feed.eventsQueue);
    await ch.deleteQueue(feed.deadQueue);
    await ch.deleteExchange(feed.deadLetterExchange);
    await ch.deleteExchange(topology(ns).eventsExchange);
  } finally {
    await conn.close();
  }
}
