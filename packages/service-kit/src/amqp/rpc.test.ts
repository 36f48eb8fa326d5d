/** Request/reply through the real RabbitMQ: answers, the bad-request policy, failures, deadlines. */
import { CodedError, exchange, validator } from '@coffeechat/contracts';
import { eventually, servers, TcpProxy, uniqueNamespace } from '@coffeechat/testkit';
import { Type } from '@sinclair/typebox';
import amqp, { type ChannelModel } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { type Broker, connectBroker } from './broker.js';
import { declareDeadLetters } from './declare.js';
import { RpcClient, RpcTimeout } from './rpc-client.js';
import { type RpcOutcome, RpcServer } from './rpc-server.js';

const Double = Type.Object({ n: Type.Integer() }, { additionalProperties: false });
type Double = { n: number };
type Reply = { ok: true; doubled: number } | { ok: false; message: string };
const isReply = (value: unknown): value is Reply => typeof value === 'object' && value !== null && 'ok' in value;

const ns = uniqueNamespace('rpc');
const queue = `${ns}.rpc`;
const deadLetters = exchange(`${ns}.dlx`, 'fanout');
const deadQueue = `${ns}.dead`;
const logger = createLogger('rpc-test', 'silent');
let broker: Broker;
let admin: ChannelModel;
const outcomes: RpcOutcome<Reply>[] = [];
let server: RpcServer<Double, Reply>;

const client = (timeoutMs = 2000, target = queue, mandatory = false) => {
  const c = new RpcClient<unknown, Reply>({
    broker,
    logger,
    name: 'test-client',
    peer: 'the doubler',
    queue: target,
    timeoutMs,
    isReply,
    mandatory,
  });
  c.start();
  return c;
};

/** A second server of the doubler, on its own connection and queue. */
const plainDoubler = (on: Broker, name: string, target: string, prefetch: number) =>
  new RpcServer<Double, Reply>({
    broker: on,
    logger,
    name,
    queue: target,
    prefetch,
    deadLetterExchange: deadLetters,
    request: validator(Double),
    answer: async ({ n }) => ({ ok: true, doubled: n * 2 }),
    badRequest: (reason) => ({ ok: false, message: reason }),
    failed: () => ({ ok: false, message: 'unavailable' }),
  });

beforeAll(async () => {
  broker = connectBroker(servers.amqpUrl, logger, 'rpc-test');
  admin = await amqp.connect(servers.amqpUrl);
  await declareDeadLetters(await admin.createChannel(), deadLetters, deadQueue);
  server = new RpcServer<Double, Reply>({
    broker,
    logger,
    name: 'test-server',
    queue,
    prefetch: 4,
    deadLetterExchange: deadLetters,
    request: validator(Double),
    answer: async ({ n }) => {
      if (n < 0) throw new Error('store down');
      if (n === 999) await new Promise((r) => setTimeout(r, 300));
      return { ok: true, doubled: n * 2 };
    },
    badRequest: (reason) => ({ ok: false, message: `bad: ${reason}` }),
    failed: () => ({ ok: false, message: 'unavailable' }),
    observe: (outcome) => outcomes.push(outcome),
  });
  server.start();
  // the queue is declared and consumed once the channel is set up
  await eventually(() => expect(broker.isReady()).toBe(true), 10_000);
});

afterAll(async () => {
  await server?.stop();
  await broker?.close();
  const ch = await admin.createChannel();
  for (const q of [queue, deadQueue]) await ch.deleteQueue(q);
  await ch.deleteExchange(deadLetters.name);
  await admin.close();
});

describe('RpcClient and RpcServer', () => {
  it('answers a request, and a failing answer with the failure reply', async () => {
    const c = client();
    expect(await c.call({ n: 21 })).toEqual({ ok: true, doubled: 42 });
    expect(await c.call({ n: -1 })).toEqual({ ok: false, message: 'unavailable' });
    expect(outcomes.map((o) => o.kind)).toEqual(['answered', 'failed']);
    await c.close();
  });

  it('answers a malformed request at once and dead-letters a copy with the reason', async () => {
    const c = client();
    expect(await c.call({ n: 'x' })).toEqual({ ok: false, message: expect.stringContaining('bad: n:') });
    const ch = await admin.createChannel();
    const dead = await eventually(async () => {
      const msg = await ch.get(deadQueue, { noAck: true });
      if (!msg) throw new Error('nothing dead-lettered yet');
      return msg;
    });
    expect(JSON.parse(dead.content.toString())).toEqual({ n: 'x' });
    expect(dead.properties.headers?.['x-dead-reason']).toMatch(/^n:/);
    expect(outcomes.at(-1)?.kind).toBe('bad_request');
    await ch.close();
    await c.close();
  });

  it('gives up on a server that does not answer in time, and at once when no server can take the request', async () => {
    const slow = client(100);
    await expect(slow.call({ n: 999 })).rejects.toBeInstanceOf(RpcTimeout);
    await slow.close();
    const nobody = client(5000, `${ns}.nobody`, true);
    const started = Date.now();
    const err = await nobody.call({ n: 1 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CodedError);
    expect(err).toMatchObject({ code: 'UNAVAILABLE', message: 'the doubler is not running' });
    expect(Date.now() - started).toBeLessThan(4000);
    await nobody.close();
  });

  it('takes over the classic queue of an earlier release once it is unused: a quorum queue, not ready meanwhile', async () => {
    // An earlier release's replica still consumes its classic durable queue (a rolling upgrade).
    const legacy = `${ns}.legacy`;
    const old = await admin.createChannel();
    await old.assertQueue(legacy, { durable: true });
    const { consumerTag } = await old.consume(legacy, () => undefined);
    const upgraded = connectBroker(servers.amqpUrl, logger, 'rpc-test-upgrade');
    const next = plainDoubler(upgraded, 'upgraded-server', legacy, 4);
    next.start();
    // Its set-up cannot take the queue over while the old replica uses it: not ready, no crash.
    await new Promise((r) => setTimeout(r, 1500));
    expect(upgraded.isConnected()).toBe(true);
    expect(upgraded.isReady()).toBe(false);
    await old.cancel(consumerTag);
    await eventually(() => expect(upgraded.isReady()).toBe(true), 15_000);
    const c = client(2000, legacy);
    expect(await c.call({ n: 4 })).toEqual({ ok: true, doubled: 8 });
    // It is a quorum queue now: declaring it as one is accepted.
    await old.assertQueue(legacy, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await c.close();
    await next.stop();
    await upgraded.close();
    await old.deleteQueue(legacy);
    await old.close();
  });

  it('answers a backlog that waited in its queue, every request acked (none keeps a prefetch slot)', async () => {
    // Requests queued while no server consumed (after a broker restart every caller's retries wait so):
    // the first deliveries arrive with the consumer's registration, before the channel reports itself up.
    const backlog = `${ns}.backlog`;
    const ch = await admin.createChannel();
    await ch.assertQueue(backlog, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    const c = client(8000, backlog);
    const calls = Array.from({ length: 12 }, (_, n) => c.call({ n }));
    await eventually(async () => expect((await ch.checkQueue(backlog)).messageCount).toBe(12));
    const late = connectBroker(servers.amqpUrl, logger, 'rpc-test-backlog');
    const next = plainDoubler(late, 'backlog-server', backlog, 2);
    next.start();
    const replies = await Promise.allSettled(calls);
    expect(replies.map((r) => (r.status === 'fulfilled' ? r.value : r.reason.message))).toEqual(
      Array.from({ length: 12 }, (_, n) => ({ ok: true, doubled: n * 2 })),
    );
    await eventually(async () => expect((await ch.checkQueue(backlog)).messageCount).toBe(0));
    await c.close();
    await next.stop();
    await late.close();
    await ch.deleteQueue(backlog);
    await ch.close();
  });

  it('hands a server only requests it can still answer in time: the rest expire in the queue', async () => {
    // A slow server (500 ms an answer, one at a time) and callers with a 1.2 s deadline: requests that
    // waited past 0.6 s are dropped by the broker instead of being answered after their caller gave up.
    const slow = `${ns}.slow`;
    const ch = await admin.createChannel();
    await ch.assertQueue(slow, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    let handled = 0;
    const on = connectBroker(servers.amqpUrl, logger, 'rpc-test-slow');
    const slowServer = new RpcServer<Double, Reply>({
      broker: on,
      logger,
      name: 'slow-server',
      queue: slow,
      prefetch: 1,
      deadLetterExchange: deadLetters,
      request: validator(Double),
      answer: async ({ n }) => {
        handled++;
        await new Promise((r) => setTimeout(r, 500));
        return { ok: true, doubled: n * 2 };
      },
      badRequest: (reason) => ({ ok: false, message: reason }),
      failed: () => ({ ok: false, message: 'unavailable' }),
    });
    slowServer.start();
    await eventually(async () => expect(on.isReady()).toBe(true));
    const c = client(1200, slow);
    const replies = await Promise.allSettled(Array.from({ length: 6 }, (_, n) => c.call({ n })));
    const answered = replies.filter((r) => r.status === 'fulfilled').length;
    expect(answered).toBeGreaterThan(0);
    // every request the server took was answered before its caller's deadline: no work for nobody
    expect(handled).toBe(answered);
    await c.close();
    await slowServer.stop();
    await on.close();
    await ch.deleteQueue(slow);
    await ch.close();
  });

  it('answers again after a reconnect, the requests that waited in the queue meanwhile first', async () => {
    // More requests wait than the prefetch: they reach the new channel in the same read as its consume-ok.
    // Told apart from an earlier channel's deliveries by a counter bumped only after the set-up, they were
    // never acked, held all 4 prefetch slots, and the server never answered again (broker-restart).
    const cutQueue = `${ns}.cut`;
    const { proxy, amqpUrl } = await TcpProxy.toBroker();
    const behind = connectBroker(amqpUrl, logger, 'rpc-test-behind-proxy');
    const cut = plainDoubler(behind, 'cut-server', cutQueue, 4);
    cut.start();
    await eventually(() => expect(behind.isReady()).toBe(true), 10_000);
    const c = client(15_000, cutQueue);
    expect(await c.call({ n: 1 })).toEqual({ ok: true, doubled: 2 });

    proxy.cut();
    await eventually(() => expect(behind.isConnected()).toBe(false), 5000);
    const waiting = Array.from({ length: 12 }, (_, n) => c.call({ n }));
    const ch = await admin.createChannel();
    // (the first request again too, when its ack did not make it before the cut)
    await eventually(async () => expect((await ch.checkQueue(cutQueue)).messageCount).toBeGreaterThanOrEqual(12), 5000);
    proxy.restore();

    expect(await Promise.all(waiting)).toEqual(Array.from({ length: 12 }, (_, n) => ({ ok: true, doubled: n * 2 })));
    expect(await c.call({ n: 50 })).toEqual({ ok: true, doubled: 100 });
    await eventually(async () => {
      const { messageCount, consumerCount } = await ch.checkQueue(cutQueue);
      expect({ messageCount, consumerCount }).toEqual({ messageCount: 0, consumerCount: 1 });
    }, 5000);
    await c.close();
    await cut.stop();
    await behind.close();
    await proxy.close();
    await ch.deleteQueue(cutQueue);
    await ch.close();
  });

  it('finishes the requests in hand when stopped', async () => {
    const c = client();
    const pending = c.call({ n: 999 });
    await new Promise((r) => setTimeout(r, 100));
    await server.stop();
    expect(await pending).toEqual({ ok: true, doubled: 1998 });
    await c.close();
  });
});
