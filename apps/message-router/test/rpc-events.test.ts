/**
 * What the gateway relies on besides the chat path: the join RPC (membership, lastSeq, readSeq,
 * replay with truncation), membership changes that take effect at once, read markers, and the events.
 */
import type { JoinReply, JoinRequest } from '@coffeechat/contracts';
import { eventually } from '@coffeechat/testkit';
import type { Channel, ConsumeMessage } from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { admin, createStack, type Stack } from './support.js';

let stack: Stack;
let rpc: Channel;
const replies = new Map<string, (reply: JoinReply) => void>();
const events: Array<{ key: string; type: string | undefined; body: Record<string, unknown> }> = [];

async function join(request: Omit<JoinRequest, 'kind'> | Record<string, unknown>): Promise<JoinReply> {
  const correlationId = crypto.randomUUID();
  const answered = new Promise<JoinReply>((resolve) => replies.set(correlationId, resolve));
  rpc.sendToQueue(stack.topology.routerRpcQueue, Buffer.from(JSON.stringify({ kind: 'join', ...request })), {
    replyTo: 'amq.rabbitmq.reply-to',
    correlationId,
    expiration: '5000',
    contentType: 'application/json',
  });
  return answered;
}

beforeAll(async () => {
  stack = await createStack('rpc');
  await stack.startRouter();
  rpc = await stack.channel();
  await rpc.consume(
    'amq.rabbitmq.reply-to',
    (msg: ConsumeMessage | null) => {
      if (msg) replies.get(String(msg.properties.correlationId))?.(JSON.parse(msg.content.toString()) as JoinReply);
    },
    { noAck: true },
  );
  const { queue } = await stack.ch.assertQueue('', { exclusive: true });
  for (const key of ['membership.*', 'room.created', 'messages.stored'])
    await stack.ch.bindQueue(queue, stack.topology.eventsExchange, key);
  await stack.ch.consume(
    queue,
    (msg) => {
      if (msg)
        events.push({
          key: msg.fields.routingKey,
          type: msg.properties.type as string | undefined,
          body: JSON.parse(msg.content.toString()),
        });
    },
    { noAck: true },
  );
});
afterAll(async () => {
  await stack?.stop();
});

describe('join RPC', () => {
  it('answers only on the direct reply-to: a request naming another queue as replyTo gets nothing there', async () => {
    await stack.createRoom('forged', ['amy']);
    const { queue } = await stack.ch.assertQueue('', { exclusive: true });
    rpc.sendToQueue(
      stack.topology.routerRpcQueue,
      Buffer.from(JSON.stringify({ kind: 'join', roomId: 'forged', userId: 'amy' })),
      { replyTo: queue, correlationId: 'c1', contentType: 'application/json' },
    );
    expect(await join({ roomId: 'forged', userId: 'amy' })).toMatchObject({ ok: true, members: ['amy'] });
    await new Promise((r) => setTimeout(r, 500));
    expect((await stack.ch.checkQueue(queue)).messageCount).toBe(0);
  });

  it('answers members with lastSeq, readSeq, members and the replay after afterSeq; others with NOT_A_MEMBER', async () => {
    await stack.createRoom('lobby', ['amy', 'bo']);
    await stack.watch(['lobby']);
    await stack.storeMessages('lobby', 'amy', 5, 'l');
    stack.publish({ kind: 'read', roomId: 'lobby', userId: 'bo', seq: 3 });
    await stack.confirmed();
    await eventually(() => expect(stack.frames('read', 'lobby')).toHaveLength(1), 20_000);

    expect(await join({ roomId: 'lobby', userId: 'bo' })).toEqual({
      ok: true,
      roomId: 'lobby',
      lastSeq: 5,
      readSeq: 3,
      members: ['amy', 'bo'],
      replay: [],
      truncated: false,
    });
    const resumed = await join({ roomId: 'lobby', userId: 'bo', afterSeq: 2 });
    expect(resumed).toMatchObject({ ok: true, lastSeq: 5, truncated: false });
    if (resumed.ok) {
      expect(resumed.replay.map((m) => m.seq)).toEqual([3, 4, 5]);
      expect(resumed.replay[0]).toMatchObject({ roomId: 'lobby', senderId: 'amy', clientMsgId: 'l2', body: 'body l2' });
    }
    expect(await join({ roomId: 'lobby', userId: 'eve' })).toMatchObject({ ok: false, code: 'NOT_A_MEMBER' });
    expect(await join({ roomId: 'nowhere', userId: 'bo' })).toMatchObject({ ok: false, code: 'NOT_A_MEMBER' });
    expect(await join({ roomId: 'lobby', userId: 'bo', afterSeq: -1 })).toMatchObject({
      ok: false,
      code: 'BAD_REQUEST',
    });
  });

  it('replays at most the newest 1000 and flags the rest as truncated', async () => {
    await stack.createRoom('archive', ['amy']);
    const docs = Array.from({ length: 1005 }, (_, i) => ({
      _id: JSON.stringify(['archive', 'amy', `a${i}`]),
      roomId: 'archive',
      seq: i + 1,
      senderId: 'amy',
      clientMsgId: `a${i}`,
      body: 'x',
      ts: i,
    }));
    await stack.db.collection('messages').insertMany(docs as never[]);
    const reply = await join({ roomId: 'archive', userId: 'amy', afterSeq: 0 });
    expect(reply).toMatchObject({ ok: true, lastSeq: 1005, truncated: true });
    if (reply.ok) {
      expect(reply.replay).toHaveLength(1000);
      expect(reply.replay[0]?.seq).toBe(6);
      expect(reply.replay.at(-1)?.seq).toBe(1005);
    }
    expect(await join({ roomId: 'archive', userId: 'amy', afterSeq: 5 })).toMatchObject({ ok: true, truncated: false });
  });
});

describe('membership and events', () => {
  it('adding or removing a member takes effect on the next send and is announced on the events exchange', async () => {
    const token = await admin();
    await stack.createRoom('club', ['cy'], { postId: 'post-9' });
    await stack.watch(['club']);
    stack.publish(stack.sendPayload('club', 'dee', 'early'));
    await stack.confirmed();
    await eventually(() => expect(stack.frames('error', 'club')).toHaveLength(1), 20_000);
    expect(stack.frames('error', 'club')[0]).toMatchObject({ code: 'NOT_A_MEMBER', clientMsgId: 'early' });
    const errorFrame = stack.received.find((r) => r.frame.type === 'error' && r.frame.roomId === 'club');
    expect(errorFrame).toMatchObject({ amqpType: 'conn-frame', headers: { 'x-conn-id': 'conn-dee' } });

    expect((await stack.http('PUT', '/rooms/club/members/dee', { token })).status).toBe(204);
    stack.publish(stack.sendPayload('club', 'dee', 'now'));
    await stack.confirmed();
    await eventually(() => expect(stack.frames('ack', 'club')).toHaveLength(1), 20_000);

    expect((await stack.http('DELETE', '/rooms/club/members/cy', { token })).status).toBe(204);
    stack.publish(stack.sendPayload('club', 'cy', 'late'));
    await stack.confirmed();
    await eventually(() => expect(stack.frames('error', 'club')).toHaveLength(2), 20_000);

    await eventually(() => {
      expect(events.find((e) => e.key === 'membership.added' && e.body.roomId === 'club')).toMatchObject({
        type: 'membership',
        body: { kind: 'added', roomId: 'club', userId: 'dee' },
      });
      expect(events.find((e) => e.key === 'membership.removed' && e.body.roomId === 'club')).toMatchObject({
        type: 'membership',
        body: { kind: 'removed', roomId: 'club', userId: 'cy' },
      });
      expect(events.find((e) => e.key === 'room.created' && e.body.roomId === 'club')?.body).toMatchObject({
        postId: 'post-9',
        memberIds: ['cy'],
      });
      const stored = events
        .filter((e) => e.key === 'messages.stored')
        .flatMap((e) => e.body.messages as { roomId: string }[]);
      expect(stored.filter((m) => m.roomId === 'club')).toEqual([
        { roomId: 'club', postId: 'post-9', seq: 1, senderId: 'dee', ts: expect.any(Number) },
      ]);
    }, 10_000);
  });

  it('publishes the message frame as a room-frame with x-room-id and x-seq, naming the sender connection to ack', async () => {
    const message = stack.received.find((r) => r.frame.type === 'message' && r.frame.roomId === 'club');
    expect(message).toMatchObject({
      amqpType: 'room-frame',
      headers: { 'x-room-id': 'club', 'x-seq': 1, 'x-conn-id': 'conn-dee', 'x-client-msg-id': 'now' },
    });
    expect(Object.keys(message?.frame ?? {})).toEqual([
      'type',
      'roomId',
      'seq',
      'senderId',
      'clientMsgId',
      'body',
      'ts',
    ]);
    // no ack of its own: the router publishes nothing to the sender's connection for a stored send
    expect(stack.received.filter((r) => r.amqpType === 'conn-frame' && r.frame.type === 'ack')).toEqual([]);
  });

  it('read markers only move forward, never past the last message, and only a move is announced', async () => {
    await stack.createRoom('reading', ['ed', 'flo']);
    await stack.watch(['reading']);
    // as a client does: it reads what it received, after the messages were stored
    await stack.storeMessages('reading', 'ed', 4, 'r');
    stack.publish({ kind: 'read', roomId: 'reading', userId: 'flo', seq: 3 });
    stack.publish({ kind: 'read', roomId: 'reading', userId: 'flo', seq: 2 });
    stack.publish({ kind: 'read', roomId: 'reading', userId: 'flo', seq: 99 });
    stack.publish({ kind: 'read', roomId: 'reading', userId: 'mallory', seq: 4 });
    await stack.confirmed();
    // 99 is clamped to the last seq (4); 2 never moves the marker back; marks in one batch may be announced as one
    await eventually(() => expect(stack.frames('read', 'reading').at(-1)?.seq).toBe(4), 20_000);
    await new Promise((r) => setTimeout(r, 300));
    const seqs = stack.frames('read', 'reading').map((f) => f.seq ?? 0);
    expect([[3, 4], [4]]).toContainEqual(seqs);
    expect(stack.frames('read', 'reading').every((f) => f.userId === 'flo')).toBe(true);
    expect(await join({ roomId: 'reading', userId: 'flo' })).toMatchObject({ ok: true, readSeq: 4, lastSeq: 4 });
    expect(await join({ roomId: 'reading', userId: 'ed' })).toMatchObject({ ok: true, readSeq: 4 });
  });
});
