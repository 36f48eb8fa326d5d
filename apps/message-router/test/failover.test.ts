/**
 * Two routers on the same partitions (single active consumer): `kill -9` of the active one in the
 * middle of a load loses nothing, stores nothing twice and keeps every room's order.
 */
import { eventually, sampleSum, scrapeMetrics } from '@coffeechat/testkit';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createStack, type Stack } from './support.js';

let stack: Stack;

beforeAll(async () => {
  stack = await createStack('failover');
  await stack.startRouter();
  await stack.startRouter();
});
afterEach((ctx) => {
  // on failure, show what the routers warned about (the cause is usually there)
  if (ctx.task.result?.state !== 'fail') return;
  for (const router of stack.routers) {
    const lines = router
      .output()
      .split('\n')
      .filter((l) => /"level":(40|50|60)/.test(l));
    console.error(`router on port ${router.port}:\n${lines.slice(-30).join('\n')}`);
  }
});
afterAll(async () => {
  await stack?.stop();
});

describe('fail-over between routers', () => {
  it('kill -9 of the active router during a load: every message acked, stored once, in order', async () => {
    const [active, standby] = stack.routers;
    if (!active || !standby) throw new Error('two routers expected');
    const rooms = Array.from({ length: 10 }, (_, i) => `fo-${i}`);
    for (const roomId of rooms) await stack.createRoom(roomId, ['kim']);
    await stack.watch(rooms);

    for (let i = 0; i < 60; i++) for (const roomId of rooms) stack.publish(stack.sendPayload(roomId, 'kim', `m${i}`));
    await stack.confirmed();
    await eventually(() => expect(stack.frames('ack').length).toBeGreaterThan(120), 60_000, 20);
    await active.kill();
    const ackedBeforeKill = new Set(stack.frames('ack').map((a) => `${a.roomId}/${a.clientMsgId}`)).size;

    await eventually(
      () => expect(new Set(stack.frames('ack').map((a) => `${a.roomId}/${a.clientMsgId}`)).size).toBe(600),
      90_000,
      100,
    );
    const messages = stack.db.collection('messages');
    expect(await messages.countDocuments({})).toBe(600);
    for (const roomId of rooms) {
      const stored = await messages.find({ roomId }).sort({ seq: 1 }).toArray();
      expect(stored.map((m) => m.seq)).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
      expect(stored.map((m) => m.clientMsgId)).toEqual(Array.from({ length: 60 }, (_, i) => `m${i}`));
      // what a gateway forwards: frames whose x-seq is above the last one forwarded for the room
      let last = 0;
      const forwarded: number[] = [];
      for (const m of stack.frames('message', roomId)) {
        const seq = m.seq ?? 0;
        if (seq > last) {
          forwarded.push(seq);
          last = seq;
        }
      }
      expect(forwarded).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
      // an ack always carries the stored seq, even when it is sent twice
      for (const ack of stack.frames('ack', roomId)) expect(ack.seq).toBe(Number(String(ack.clientMsgId).slice(1)) + 1);
    }
    const metrics = await scrapeMetrics(standby.port);
    const redeliveries = sampleSum(metrics, 'coffeechat_router_redeliveries_total');
    const duplicates = sampleSum(metrics, 'coffeechat_router_duplicates_total');
    const acks = stack.frames('ack').length;
    console.info(
      `[measure] fail-over: ${ackedBeforeKill} of 600 acked before kill -9; standby stored ${sampleSum(metrics, 'coffeechat_router_messages_stored_total')}, ` +
        `saw ${redeliveries} redeliveries and ${duplicates} already-stored; ${acks - 600} acks sent twice`,
    );
  });

  it('SIGTERM of the active router during a load: it drains and exits within 10 s, the other one carries on', async () => {
    const survivor = stack.routers[1];
    if (!survivor) throw new Error('the standby of the previous test should still run');
    const next = await stack.startRouter(); // standby for the partitions `survivor` now owns
    const rooms = Array.from({ length: 10 }, (_, i) => `term-${i}`);
    for (const roomId of rooms) await stack.createRoom(roomId, ['lee']);
    await stack.watch(rooms);
    const acked = () =>
      new Set(
        stack
          .frames('ack')
          .filter((a) => String(a.roomId).startsWith('term-'))
          .map((a) => `${a.roomId}/${a.clientMsgId}`),
      ).size;

    const wave = (from: number, to: number) => {
      for (let i = from; i < to; i++)
        for (const roomId of rooms) stack.publish(stack.sendPayload(roomId, 'lee', `m${i}`));
    };
    wave(0, 20);
    await stack.confirmed();
    await eventually(() => expect(acked()).toBeGreaterThan(50), 60_000, 20);
    const stopping = performance.now();
    const stopped = survivor.stop();
    wave(20, 30); // the load goes on while the router drains
    await stack.confirmed();
    await stopped;
    const stopSeconds = (performance.now() - stopping) / 1000;
    expect(survivor.child.exitCode).toBe(0);
    expect(stopSeconds).toBeLessThan(10);
    expect(survivor.output()).not.toMatch(/"level":50/); // no errors while draining

    await eventually(() => expect(acked()).toBe(300), 60_000, 100);
    for (const roomId of rooms) {
      const stored = await stack.db.collection('messages').find({ roomId }).sort({ seq: 1 }).toArray();
      expect(stored.map((m) => m.clientMsgId)).toEqual(Array.from({ length: 30 }, (_, i) => `m${i}`));
      expect(stored.map((m) => m.seq)).toEqual(Array.from({ length: 30 }, (_, i) => i + 1));
    }
    const metrics = await scrapeMetrics(next.port);
    console.info(
      `[measure] SIGTERM: drained and exited in ${stopSeconds.toFixed(2)} s; the next router stored ` +
        `${sampleSum(metrics, 'coffeechat_router_messages_stored_total')} and found ${sampleSum(metrics, 'coffeechat_router_duplicates_total')} already stored`,
    );
  });
});
