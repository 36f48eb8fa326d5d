/**
 * The partitioned chat path against real RabbitMQ and FerretDB, with the router as a separate process
 * fed the way the gateway feeds it: per-room order under concurrent rooms, idempotent resends and
 * redeliveries, and poison messages that are dead-lettered without stopping their partition.
 */
import { partitionOf } from '@coffeechat/contracts';
import { eventually, sampleSum, scrapeMetrics } from '@coffeechat/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, createStack, type Stack } from './support.js';

let stack: Stack;

beforeAll(async () => {
  stack = await createStack('part');
  await stack.startRouter();
});
afterAll(async () => {
  await stack?.stop();
});

describe('partitioned inbound queues', () => {
  it('keeps each room in order with contiguous seqs while 20 rooms × 50 messages arrive at once', async () => {
    const rooms = Array.from({ length: 20 }, (_, i) => `order-${i}`);
    for (const roomId of rooms) await stack.createRoom(roomId, ['alice', 'bob']);
    await stack.watch(rooms);

    const started = performance.now();
    for (let i = 0; i < 50; i++) {
      for (const roomId of rooms) stack.publish(stack.sendPayload(roomId, i % 2 === 0 ? 'alice' : 'bob', `m${i}`));
    }
    await stack.confirmed();
    await eventually(() => expect(stack.frames('ack').length).toBe(1000), 90_000, 100);
    const seconds = (performance.now() - started) / 1000;

    for (const roomId of rooms) {
      const messages = stack.frames('message', roomId);
      expect(messages.map((m) => m.seq)).toEqual(Array.from({ length: 50 }, (_, i) => i + 1));
      // arrival order is kept: the i-th published message got seq i + 1
      expect(messages.map((m) => m.clientMsgId)).toEqual(Array.from({ length: 50 }, (_, i) => `m${i}`));
      const acks = stack.frames('ack', roomId);
      expect(new Set(acks.map((a) => a.seq)).size).toBe(50);
    }
    const stored = await stack.db.collection('messages').countDocuments({});
    expect(stored).toBe(1000);

    const metrics = await scrapeMetrics(stack.port);
    const batches = sampleSum(metrics, 'coffeechat_router_batch_size_count');
    const delivered = sampleSum(metrics, 'coffeechat_router_batch_size_sum');
    expect(sampleSum(metrics, 'coffeechat_router_messages_stored_total')).toBe(1000);
    console.info(
      `[measure] 1000 messages over 20 rooms stored and acked in ${seconds.toFixed(2)} s ` +
        `(${(1000 / seconds).toFixed(0)} msg/s); ${batches} batches, mean ${(delivered / batches).toFixed(1)} messages per batch`,
    );
  });

  it('stores a resent or redelivered message once and answers with the stored seq again', async () => {
    await stack.createRoom('dup', ['alice']);
    await stack.watch(['dup']);
    stack.publish(stack.sendPayload('dup', 'alice', 'same', 'first'));
    stack.publish(stack.sendPayload('dup', 'alice', 'same', 'first'));
    await stack.confirmed();
    await eventually(() => expect(stack.frames('ack', 'dup')).toHaveLength(2), 20_000);
    expect(stack.frames('ack', 'dup').map((a) => a.seq)).toEqual([1, 1]);

    // A message stored before (say by an owner that crashed before publishing), sent again as a first
    // delivery: a client's resend, acked to the sender only (a broker redelivery is published to the
    // room again: partition-worker.test.ts).
    const messages = stack.db.collection('messages');
    const stored = await messages.findOne({ roomId: 'dup', clientMsgId: 'same' });
    await messages.insertOne({
      _id: JSON.stringify(['dup', 'alice', 'crashed']) as never,
      roomId: 'dup',
      seq: 2,
      senderId: 'alice',
      clientMsgId: 'crashed',
      body: 'b',
      ts: 5,
    });
    stack.publish(stack.sendPayload('dup', 'alice', 'crashed', 'b'));
    stack.publish(stack.sendPayload('dup', 'alice', 'after'));
    await stack.confirmed();
    await eventually(() => expect(stack.frames('ack', 'dup')).toHaveLength(4), 20_000);
    expect(stack.frames('ack', 'dup').map((a) => a.seq)).toEqual([1, 1, 2, 3]);
    expect(stack.frames('message', 'dup').map((m) => m.seq)).toEqual([1, 3]);
    expect(await messages.countDocuments({ roomId: 'dup' })).toBe(3);
    expect(stored?.body).toBe('first');
    const metrics = await scrapeMetrics(stack.port);
    expect(sampleSum(metrics, 'coffeechat_router_duplicates_total')).toBeGreaterThanOrEqual(2);
  });

  it('dead-letters a poison message after the delivery limit while its partition keeps flowing; inspect and replay it', async () => {
    // a room whose document is corrupt makes every send to it fail: a poison message
    const healthy = 'flowing';
    let cursed = '';
    for (
      let i = 0;
      partitionOf(cursed, stack.partitions) !== partitionOf(healthy, stack.partitions) || cursed === '';
      i++
    )
      cursed = `cursed-${i}`;
    await stack.createRoom(healthy, ['alice']);
    await stack.createRoom(cursed, ['alice']);
    await stack.db.collection('rooms').updateOne({ _id: cursed as never }, { $set: { memberIds: 42 } });
    await stack.watch([healthy, cursed]);

    for (let i = 0; i < 10; i++) {
      stack.publish(stack.sendPayload(healthy, 'alice', `h${i}`));
      if (i === 3) stack.publish(stack.sendPayload(cursed, 'alice', 'poison'));
    }
    stack.publish(Buffer.from('{"kind":"send","roomId":'), healthy); // not even JSON
    stack.publish({ ...stack.sendPayload(healthy, 'alice', 'x'), body: '' }); // fails the schema
    await stack.confirmed();

    await eventually(() => expect(stack.frames('ack', healthy)).toHaveLength(10), 30_000);
    expect(stack.frames('message', healthy).map((m) => m.seq)).toEqual(Array.from({ length: 10 }, (_, i) => i + 1));

    const token = await admin();
    const peek = async () =>
      (await stack.http('GET', '/admin/dead-letters?limit=10', { token })).body as unknown as {
        total: number;
        deadLetters: Array<{ reason: string; partition: number | null; body: string }>;
      };
    await eventually(async () => expect((await peek()).total).toBe(3), 30_000, 200);
    const first = await peek();
    const second = await peek(); // peeking loses nothing and keeps the order
    expect(second).toEqual(first);
    const reasons = first.deadLetters.map((d) => d.reason);
    expect(reasons).toContain('delivery_limit');
    expect(reasons).toContain('payload is not valid JSON');
    expect(reasons.some((r) => /body/.test(r))).toBe(true);
    const poison = first.deadLetters.find((d) => d.reason === 'delivery_limit');
    expect(poison?.partition).toBe(partitionOf(cursed, stack.partitions));
    expect(JSON.parse(poison?.body ?? '{}')).toMatchObject({ roomId: cursed, clientMsgId: 'poison' });
    const metrics = await scrapeMetrics(stack.port);
    expect(sampleSum(metrics, 'coffeechat_router_dead_letters_total', { reason: 'invalid' })).toBe(2);
    expect(sampleSum(metrics, 'coffeechat_router_nacks_total')).toBeGreaterThanOrEqual(5);

    // repair the room, then replay: the poison is stored, the invalid ones go back to the dead queue
    await stack.db.collection('rooms').updateOne({ _id: cursed as never }, { $set: { memberIds: ['alice'] } });
    expect((await stack.http('PUT', `/rooms/${cursed}/members/alice`, { token })).status).toBe(204); // drops cached membership
    const replay = await stack.http('POST', '/admin/dead-letters/replay', { token, body: {} });
    expect(replay).toEqual({ status: 200, body: { replayed: 1, deadAgain: 2, remaining: 2 } });
    await eventually(() => expect(stack.frames('ack', cursed).map((a) => a.seq)).toEqual([1]), 20_000);
    const after = await peek();
    expect(after.total).toBe(2);
    expect(after.deadLetters.every((d) => d.reason.startsWith('still invalid on replay'))).toBe(true);
  });
});
