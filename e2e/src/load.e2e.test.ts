/**
 * Load and fail-over end to end: 50 rooms × 4 users spread over two gateways send concurrently
 * (each user one message at a time, awaiting its ack); then the same again while the router that
 * owns most partitions is killed with SIGKILL. Every member must see every acked message of its
 * room exactly once, in one contiguous seq order shared by all members and matching the history.
 */

import { CoffeeChatClient } from '@coffeechat/client';
import type { AckFrame, MessageFrame } from '@coffeechat/contracts';
import { ChatStack, scrapeSum, tokenFor } from '@coffeechat/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';

const ROOMS = 50;
const PER_ROOM = 4;
const MESSAGES_PER_USER = 3;

interface Member {
  userId: string;
  roomId: string;
  client: CoffeeChatClient;
  received: MessageFrame[];
  acks: AckFrame[];
}

/** Raw `message` frames seen on the wire per `roomId/userId`, before the SDK's de-duplication. */
const wire = new Map<string, number[]>();

function countingWebSocket(key: string) {
  return class extends WebSocket {
    constructor(url: string) {
      super(url);
      this.on('message', (data) => {
        const frame = JSON.parse(String(data)) as { type: string; seq?: number };
        if (frame.type !== 'message' || frame.seq === undefined) return;
        const list = wire.get(key) ?? [];
        list.push(frame.seq);
        wire.set(key, list);
      });
    }
  };
}

let stack: ChatStack;
const members: Member[] = [];
const rooms: string[] = [];
const report: Record<string, number | string> = {};

beforeAll(async () => {
  const started = Date.now();
  stack = await ChatStack.start({ label: 'load', partitions: 8 });
  const created = await Promise.all(
    Array.from({ length: ROOMS }, (_, r) => {
      const userIds = Array.from({ length: PER_ROOM }, (_, k) => `u${r}x${k}`);
      return stack.createRoom(userIds).then((room) => ({ room, userIds }));
    }),
  );
  for (const { room, userIds } of created) {
    rooms.push(room.roomId);
    for (const [k, userId] of userIds.entries()) {
      const key = `${room.roomId}/${userId}`;
      const client = new CoffeeChatClient({
        url: stack.wsUrl(k % 2),
        token: () => tokenFor(userId),
        WebSocket: countingWebSocket(key),
        backoff: { initialMs: 100, maxMs: 1000 },
        // Acks come late under this load; an early re-send only adds work (the message is not lost).
        ackTimeoutMs: 10_000,
      });
      const member: Member = { userId, roomId: room.roomId, client, received: [], acks: [] };
      client.on('message', (m) => member.received.push(m));
      members.push(member);
    }
  }
  await Promise.all(
    members.map(async (m) => {
      await m.client.connect();
      await m.client.join(m.roomId);
    }),
  );
  report.setupMs = Date.now() - started;
}, 180_000);

afterAll(async () => {
  if (process.env.GATEWAY_E2E_DUMP) {
    const metrics = await Promise.all(
      [...stack.routers, ...stack.gateways].map(async (p) => {
        const text = await fetch(`http://127.0.0.1:${p.port}/metrics`).then(
          (r) => r.text(),
          () => 'down',
        );
        return `=== ${p.name} :${p.port}\n${text
          .split('\n')
          .filter((l) => l.startsWith('coffeechat_'))
          .join('\n')}`;
      }),
    );
    const { execSync } = await import('node:child_process');
    const queues = execSync(
      `timeout 30 rabbitmqctl list_queues name messages_ready messages_unacknowledged consumers 2>/dev/null | grep ${stack.namespace} || true`,
    ).toString();
    (await import('node:fs')).writeFileSync(
      process.env.GATEWAY_E2E_DUMP,
      `${stack.outputs()}\n${metrics.join('\n')}\n${queues}`,
    );
  }
  for (const m of members) m.client.close();
  await stack?.stop();
  console.log(`[gateway e2e load] ${JSON.stringify(report)}`);
}, 60_000);

async function sendAll(phase: string): Promise<void> {
  const sending = Promise.all(
    members.map(async (m) => {
      for (let i = 0; i < MESSAGES_PER_USER; i++) {
        m.acks.push(
          await m.client.send(m.roomId, `${m.userId} ${phase} ${i}`, { clientMsgId: `${m.userId}-${phase}-${i}` }),
        );
      }
    }),
  );
  await Promise.race([sending, stallWatch(() => sending)]);
}

const ackCount = () => members.reduce((n, m) => n + m.acks.length, 0);

/**
 * Fails fast, with the routers' numbers, when no ack arrives for a long while: the store has been seen
 * to wedge (a FerretDB connection-pool deadlock, apps/message-router/src/mongo/update-each.ts) with
 * every partition's prefetch window unacked, which would otherwise only show as a test timeout minutes
 * later.
 */
async function stallWatch(done: () => Promise<unknown>, quietMs = 45_000): Promise<never> {
  let finished = false;
  void done().finally(() => {
    finished = true;
  });
  let last = ackCount();
  let lastChange = Date.now();
  for (;;) {
    await new Promise((r) => setTimeout(r, 1000));
    if (finished) return new Promise<never>(() => undefined);
    if (ackCount() !== last) {
      last = ackCount();
      lastChange = Date.now();
    } else if (Date.now() - lastChange > quietMs) {
      const stored = await Promise.all(
        stack.routers.map((r) => scrapeSum(r.port, 'coffeechat_router_messages_stored_total')),
      );
      const batches = await Promise.all(
        stack.routers.map((r) => scrapeSum(r.port, 'coffeechat_router_batch_size_count')),
      );
      if (process.env.GATEWAY_E2E_PROBE) {
        const { MongoClient } = await import('mongodb');
        const { mongoUrlFor } = await import('@coffeechat/testkit');
        const client = new MongoClient(mongoUrlFor(stack.namespace), {
          serverSelectionTimeoutMS: 5000,
          socketTimeoutMS: 10_000,
        });
        const probe = async (what: string, op: () => Promise<unknown>) => {
          const t = Date.now();
          try {
            await op();
            console.log(`[probe] ${what} ok in ${Date.now() - t} ms`);
          } catch (err) {
            console.log(`[probe] ${what} failed after ${Date.now() - t} ms: ${String(err)}`);
          }
        };
        await probe('connect', () => client.connect());
        const db = client.db(stack.namespace);
        await probe('listCollections', () => db.listCollections().toArray());
        await probe('count messages', () => db.collection('messages').countDocuments());
        await probe('find rooms', () => db.collection('rooms').find().limit(1).toArray());
        await probe('insert probe', () => db.collection('probe').insertOne({ at: Date.now() }));
        await client.close().catch(() => undefined);
      }
      throw new Error(
        `no ack for ${quietMs / 1000} s with ${ackCount()} acked: routers stored ${stored.join('/')} in ${batches.join('/')} batches`,
      );
    }
  }
}

async function allDelivered(timeoutMs: number): Promise<void> {
  const expectedPerRoom = new Map<string, number>();
  for (const m of members) expectedPerRoom.set(m.roomId, (expectedPerRoom.get(m.roomId) ?? 0) + m.acks.length);
  const deadline = Date.now() + timeoutMs;
  while (members.some((m) => m.received.length < (expectedPerRoom.get(m.roomId) ?? 0))) {
    if (Date.now() > deadline) {
      const lagging = members.filter((m) => m.received.length < (expectedPerRoom.get(m.roomId) ?? 0));
      throw new Error(
        `${lagging.length} members still missing messages, e.g. ${lagging[0]?.userId}: ${lagging[0]?.received.length}`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function verify(): Promise<void> {
  let checkedRooms = 0;
  const histories = await Promise.all(
    rooms.map((roomId) => stack.history(roomId, members.find((m) => m.roomId === roomId)?.userId ?? '')),
  );
  for (const [index, roomId] of rooms.entries()) {
    const inRoom = members.filter((m) => m.roomId === roomId);
    const acks = inRoom.flatMap((m) => m.acks);
    const bySeq = new Map(acks.map((a) => [a.seq, a.clientMsgId]));
    // Every acked message has its own seq, and the seqs are exactly 1..N.
    expect(bySeq.size).toBe(acks.length);
    const n = acks.length;
    expect([...bySeq.keys()].sort((a, b) => a - b)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
    for (const m of inRoom) {
      // Each member saw each message once, in seq order, carrying the acked clientMsgId.
      expect(m.received.map((f) => f.seq)).toEqual(Array.from({ length: n }, (_, i) => i + 1));
      for (const f of m.received) expect(f.clientMsgId).toBe(bySeq.get(f.seq));
      // A sender's own messages keep their sending order.
      const own = m.acks.map((a) => a.seq);
      expect([...own].sort((a, b) => a - b)).toEqual(own);
    }
    const history = histories[index] ?? [];
    expect(history.map((h) => [h.seq, h.clientMsgId])).toEqual([...bySeq.entries()].sort((a, b) => a[0] - b[0]));
    checkedRooms += 1;
  }
  expect(checkedRooms).toBe(ROOMS);
}

/** The wire seqs of a few connections that saw a seq twice, for the failure message. */
function duplicateExamples(): string {
  return [...wire.entries()]
    .filter(([, seqs]) => seqs.length !== new Set(seqs).size)
    .slice(0, 3)
    .map(([key, seqs]) => `${key}: ${seqs.join(',')}`)
    .join('\n');
}

function wireDuplicates(): number {
  let dups = 0;
  for (const seqs of wire.values()) dups += seqs.length - new Set(seqs).size;
  return dups;
}

describe('50 rooms × 4 users on two gateways and two routers', () => {
  it('every member sees every message of its room once, contiguous seq, one order', async () => {
    const started = Date.now();
    await sendAll('a');
    await allDelivered(60_000);
    report.phase1Ms = Date.now() - started;
    report.phase1Messages = ROOMS * PER_ROOM * MESSAGES_PER_USER;
    report.phase1Deliveries = members.reduce((n, m) => n + m.received.length, 0);
    await verify();
    expect(wireDuplicates(), duplicateExamples()).toBe(0);
  }, 120_000);

  it('kill -9 of the active router under load: no acked message lost or duplicated, order kept', async () => {
    const owners = await Promise.all(
      stack.routers.map((r) => scrapeSum(r.port, 'coffeechat_router_partitions_consuming')),
    );
    const victim = owners[1] !== undefined && owners[1] > (owners[0] ?? 0) ? 1 : 0;
    const started = Date.now();
    const sending = sendAll('b');
    // Kill once the load is under way (a quarter of this phase's acks are in).
    const target = members.reduce((n, m) => n + m.acks.length, 0) + (ROOMS * PER_ROOM * MESSAGES_PER_USER) / 4;
    while (members.reduce((n, m) => n + m.acks.length, 0) < target) await new Promise((r) => setTimeout(r, 20));
    await stack.routers[victim]?.kill();
    report.killedRouterPartitions = owners[victim] ?? 0;
    report.ackedBeforeKill = members.reduce((n, m) => n + m.acks.length, 0);
    await sending;
    await allDelivered(90_000);
    report.phase2Ms = Date.now() - started;
    report.phase2Messages = ROOMS * PER_ROOM * MESSAGES_PER_USER;
    report.totalDeliveries = members.reduce((n, m) => n + m.received.length, 0);
    await verify();
    const survivor = stack.routers[1 - victim];
    report.routerRedeliveries = await scrapeSum(survivor?.port, 'coffeechat_router_redeliveries_total');
    const batches = await scrapeSum(survivor?.port, 'coffeechat_router_batch_size_count');
    report.survivorAvgBatch = Math.round(
      (await scrapeSum(survivor?.port, 'coffeechat_router_batch_size_sum')) / batches,
    );
    report.survivorAvgBatchMs = Math.round(
      (1000 * (await scrapeSum(survivor?.port, 'coffeechat_router_store_latency_seconds_sum'))) / batches,
    );
    report.routerDuplicates = await scrapeSum(survivor?.port, 'coffeechat_router_duplicates_total');
    let dropped = 0;
    for (const g of stack.gateways)
      dropped += await scrapeSum(g.port, 'coffeechat_gateway_duplicate_frames_dropped_total');
    report.gatewayDuplicateFramesDropped = dropped;
    report.wireDuplicates = wireDuplicates();
    expect(wireDuplicates(), duplicateExamples()).toBe(0);
  }, 180_000);
});
