/**
 * Removes what a run of the four services left under its namespace: the queues and exchanges of chat,
 * presence and feed, the MongoDB database named after the namespace, and its Redis keys.
 */
import { feedTopology, presenceTopology, topology } from '@coffeechat/contracts';
import amqp from 'amqplib';
import { MongoClient } from 'mongodb';
import { deleteRedisKeys } from './redis-keys.js';
import { mongoUrlFor, servers } from './servers.js';

export async function removeStackNamespace(ns: string, partitions: number): Promise<void> {
  const connection = await amqp.connect(servers.amqpUrl).catch(() => undefined);
  if (connection) {
    const t = topology(ns);
    const p = presenceTopology(ns);
    const f = feedTopology(ns);
    const queues = [t.deadQueue, t.routerRpcQueue, p.inputQueue, p.deadQueue, p.rpcQueue, f.eventsQueue, f.deadQueue];
    for (let i = 0; i < partitions; i++) queues.push(t.inboundQueue(i));
    const exchanges = [t.inboundExchange, t.deliveryExchange, t.eventsExchange, t.deadLetterExchange];
    exchanges.push(p.inputExchange, p.deadLetterExchange, p.changesExchange, f.deadLetterExchange);
    // a channel each: a failed delete closes its channel
    for (const q of queues) {
      const ch = await connection.createChannel();
      await ch.deleteQueue(q).catch(() => undefined);
      await ch.close().catch(() => undefined);
    }
    for (const x of exchanges) {
      const ch = await connection.createChannel();
      await ch.deleteExchange(x).catch(() => undefined);
      await ch.close().catch(() => undefined);
    }
    await connection.close();
  }
  const mongo = new MongoClient(mongoUrlFor(ns));
  await mongo
    .db()
    .dropDatabase()
    .catch(() => undefined);
  await mongo.close();
  await deleteRedisKeys(`${ns}*`);
}
