/** A consumer the real RabbitMQ cancels (its queue deleted): logged, not ready meanwhile, consuming again. */
import { eventually, servers, uniqueNamespace } from '@coffeechat/testkit';
import amqp, { type ChannelModel } from 'amqplib';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Broker, connectBroker } from './broker.js';
import { consumeQueue } from './consumer.js';

const ns = uniqueNamespace('consumer');
const queue = `${ns}.work`;
const logged: string[] = [];
const logger = pino({ level: 'info' }, { write: (line: string) => logged.push(JSON.parse(line).msg) });
const received: string[] = [];
let broker: Broker;
let admin: ChannelModel;

const send = async (body: string) => {
  const ch = await admin.createConfirmChannel();
  ch.sendToQueue(queue, Buffer.from(body));
  await ch.waitForConfirms();
  await ch.close();
};

beforeAll(async () => {
  broker = connectBroker(servers.amqpUrl, logger, 'consumer-test');
  admin = await amqp.connect(servers.amqpUrl);
  broker.channel({
    name: 'work',
    confirm: false,
    setup: async (ch) => {
      await ch.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
      await consumeQueue(ch, {
        broker,
        logger,
        queue,
        onMessage: (msg, settle) => {
          received.push(msg.content.toString());
          settle.ack(msg);
        },
      });
    },
  });
  await eventually(() => expect(broker.isReady()).toBe(true), 10_000);
});

afterAll(async () => {
  await broker?.close();
  const ch = await admin.createChannel();
  await ch.deleteQueue(queue);
  await admin.close();
});

describe('consumeQueue', () => {
  it('consumes again after the broker cancelled the consumer, not ready meanwhile', async () => {
    await send('before');
    await eventually(() => expect(received).toEqual(['before']));

    // Deleting the queue cancels its consumers (basic.cancel; amqplib hands the callback `null`).
    const ch = await admin.createChannel();
    await ch.deleteQueue(queue);
    await ch.close();
    await eventually(() => expect(broker.isReady()).toBe(false), 2000, 10);
    expect(logged).toContain('the broker cancelled the consumer; consuming again');

    // Consuming the deleted queue again fails: the connection is opened again and the set-up declares it.
    await eventually(() => expect(broker.isReady()).toBe(true), 15_000);
    await send('after');
    await eventually(() => expect(received).toEqual(['before', 'after']));
  });
});
