/** A keyed queue through the real RabbitMQ, across a cut of the connection (a TCP proxy in between). */
import { exchange } from '@coffeechat/contracts';
import { eventually, servers, TcpProxy, uniqueNamespace } from '@coffeechat/testkit';
import amqp, { type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { type Broker, connectBroker } from './broker.js';
import { declareExchanges } from './declare.js';
import { KeyedQueue } from './keyed-queue.js';

const ns = uniqueNamespace('keyed');
const rooms = exchange(`${ns}.rooms`, 'direct');
const logger = createLogger('keyed-queue-test', 'silent');
let proxy: TcpProxy;
let broker: Broker;
let admin: ChannelModel;
let queue: KeyedQueue;
const received: string[] = [];
let restored = 0;

const publish = async (key: string) => {
  const ch = await admin.createConfirmChannel();
  ch.publish(rooms.name, key, Buffer.from(key));
  await ch.waitForConfirms();
  await ch.close();
};

beforeAll(async () => {
  const toBroker = await TcpProxy.toBroker();
  proxy = toBroker.proxy;
  broker = connectBroker(toBroker.amqpUrl, logger, 'keyed-queue-test');
  admin = await amqp.connect(servers.amqpUrl);
  await declareExchanges(await admin.createChannel(), rooms);
  queue = new KeyedQueue({
    broker,
    logger,
    name: 'test-queue',
    queue: `${ns}.mine`,
    keyed: rooms,
    timeoutMs: 2000,
    onMessage: (msg) => received.push(msg.content.toString()),
    onRestored: () => restored++,
  });
  queue.start();
  await eventually(() => expect(broker.isConnected()).toBe(true), 10_000);
});

afterAll(async () => {
  await queue?.close();
  await broker?.close();
  await proxy?.close();
  const ch = await admin.createChannel();
  await ch.deleteExchange(rooms.name);
  await admin.close();
});

describe('KeyedQueue', () => {
  it('receives what is published with the keys it is bound to, and nothing else', async () => {
    await queue.bind('a');
    await queue.bind('b');
    await queue.unbind('b');
    for (const key of ['a', 'b', 'c']) await publish(key);
    await eventually(() => expect(received).toEqual(['a']));
  });

  it('refuses a bind while the broker is away, and after the reconnect restores the keys still wanted', async () => {
    proxy.cut();
    await eventually(() => expect(broker.isConnected()).toBe(false));
    await expect(queue.bind('x')).rejects.toMatchObject({ code: 'UNAVAILABLE' });
    await queue.unbind('x');
    proxy.restore();
    await eventually(() => expect(restored).toBe(1), 15_000, 100);
    for (const key of ['x', 'a']) await publish(key);
    await eventually(() => expect(received).toEqual(['a', 'a']));
  });

  it('with lingerMs, keeps a key let go bound that long: bound again meanwhile, it stays bound', async () => {
    const got: string[] = [];
    const lingering = new KeyedQueue({
      broker,
      logger,
      name: 'test-lingering',
      queue: `${ns}.lingering`,
      keyed: rooms,
      timeoutMs: 2000,
      lingerMs: 400,
      onMessage: (msg) => got.push(msg.content.toString()),
      onRestored: () => undefined,
    });
    lingering.start();
    try {
      await lingering.bind('l1');
      await lingering.bind('l2');
      await lingering.unbind('l1');
      await lingering.unbind('l2');
      await lingering.bind('l2'); // within the linger: no round trip, still bound
      await publish('l1'); // still lingering: arrives (the caller drops it)
      await eventually(() => expect(got).toEqual(['l1']));
      await new Promise((r) => setTimeout(r, 700));
      for (const key of ['l1', 'l2']) await publish(key);
      await eventually(() => expect(got).toEqual(['l1', 'l2']));
    } finally {
      await lingering.close();
    }
  });

  it('with bindChannels, binds over several channels at once and unbinds each key in order', async () => {
    const got: string[] = [];
    const spread = new KeyedQueue({
      broker,
      logger,
      name: 'test-spread',
      queue: `${ns}.spread`,
      keyed: rooms,
      timeoutMs: 2000,
      bindChannels: 4,
      onMessage: (msg) => got.push(msg.content.toString()),
      onRestored: () => undefined,
    });
    spread.start();
    try {
      const keys = Array.from({ length: 40 }, (_, i) => `s${i}`);
      await Promise.all(keys.map((k) => spread.bind(k)));
      await Promise.all(keys.filter((_, i) => i % 2 === 1).map((k) => spread.unbind(k)));
      for (const key of keys) await publish(key);
      await eventually(() => expect(got.sort()).toEqual(keys.filter((_, i) => i % 2 === 0).sort()));
    } finally {
      await spread.close();
    }
  });
});
