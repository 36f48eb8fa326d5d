/**
 * The room hub keeps each socket's stream of a room strictly ascending and gapless, whatever the broker
 * lost or repeated: with the socket, topics and broker replaced by recorders.
 */
import { describe, expect, it } from 'vitest';
import { accepted, liveFrame, setup, tick } from '../test/protocol-fixture.js';

describe('RoomHub', () => {
  it('after a broker reconnect, gives each live socket exactly the messages it missed, merged with new live ones', async () => {
    const { connect, backend, hub, events } = setup();
    const a = connect('alice');
    a.frame({ type: 'join', roomId: 'r1' });
    await tick();
    backend.joins[0]?.reply.resolve(accepted(2));
    await tick();
    events.roomFrame(liveFrame(3));
    const b = connect('bob');
    b.frame({ type: 'join', roomId: 'r1' });
    await tick();
    backend.joins[1]?.reply.resolve(accepted(5)); // bob joined after 4 and 5 were stored (lost for this gateway)
    await tick();
    // The broker connection dropped; 4..7 were published meanwhile. Now it is back:
    const resync = hub.resync(() => undefined);
    await tick();
    expect(backend.joins[2]?.request).toMatchObject({ roomId: 'r1', afterSeq: 3 });
    events.roomFrame(liveFrame(8)); // live traffic flows before the router answers
    backend.joins[2]?.reply.resolve(accepted(7, [4, 5, 6, 7])); // alice and bob are still members
    await resync;
    expect(backend.joins).toHaveLength(3); // one request for the room
    events.roomFrame(liveFrame(9));
    expect(a.socket.of('message').map((f) => f.seq)).toEqual([3, 4, 5, 6, 7, 8, 9]);
    expect(b.socket.of('message').map((f) => f.seq)).toEqual([6, 7, 8, 9]);
  });

  it('holds the frames after a gap (a frame lost before the room was bound again) until a router gave the missing ones', async () => {
    const { joined, backend, events } = setup();
    const [a, b] = await joined('alice', 'bob');
    events.roomFrame(liveFrame(1));
    events.roomFrame(liveFrame(2));
    // 3 and 4 were published while the gateway's new queue was not bound to the room yet.
    events.roomFrame(liveFrame(5));
    events.roomFrame(liveFrame(6));
    await tick();
    const ask = backend.joins.at(-1);
    expect(ask?.request).toMatchObject({ roomId: 'r1', afterSeq: 2 });
    expect(a.socket.of('message').map((f) => f.seq)).toEqual([1, 2]);
    ask?.reply.resolve(accepted(5, [3, 4, 5]));
    await tick();
    events.roomFrame(liveFrame(6)); // a re-publish
    events.roomFrame(liveFrame(7));
    for (const c of [a, b]) expect(c.socket.of('message').map((f) => f.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('lets the frames through with the gap once its deadline passed when the answers never reach them', async () => {
    const { joined, backend, events } = setup({ catchUp: { deadlineMs: 300, retryMs: 50 } });
    const [a] = await joined('alice');
    events.roomFrame(liveFrame(1));
    events.roomFrame(liveFrame(4)); // every answer (a router reading a store that lags) ends at 1
    const answered = setInterval(() => {
      for (const ask of backend.joins) if (ask.request.afterSeq === 1) ask.reply.resolve(accepted(1, []));
    }, 10);
    try {
      await new Promise((r) => setTimeout(r, 450));
    } finally {
      clearInterval(answered);
    }
    // the client sees the gap and joins again; the gateway did not ask in a loop meanwhile
    expect(a.socket.of('message').map((f) => f.seq)).toEqual([1, 4]);
    const asks = backend.joins.filter((j) => j.request.afterSeq === 1).length;
    expect(asks).toBeGreaterThanOrEqual(2);
    expect(asks).toBeLessThanOrEqual(8);
  });

  it('goes on at once over seqs the store does not have (the answer starts after them)', async () => {
    const { joined, backend, events } = setup();
    const [a] = await joined('alice');
    events.roomFrame(liveFrame(1));
    events.roomFrame(liveFrame(4));
    await tick();
    backend.joins.at(-1)?.reply.resolve(accepted(5, [4, 5])); // no 2 or 3 in the store
    await tick();
    events.roomFrame(liveFrame(6));
    expect(a.socket.of('message').map((f) => f.seq)).toEqual([1, 4, 5, 6]);
    expect(backend.joins.filter((j) => j.request.afterSeq === 1)).toHaveLength(1);
  });

  it('a socket whose join read messages still on their way gets each of them once, then reads the room’s topic', async () => {
    const { joined, connect, backend, events } = setup();
    const [a] = await joined('alice');
    events.roomFrame(liveFrame(1));
    const b = connect('bob');
    b.frame({ type: 'join', roomId: 'r1', afterSeq: 0 });
    await tick();
    // The router read 1..3; the frames of 2 and 3 reach this gateway after the answer.
    backend.joins.at(-1)?.reply.resolve(accepted(3, [1, 2, 3]));
    await tick();
    for (const seq of [2, 3, 4]) events.roomFrame(liveFrame(seq));
    expect(b.socket.of('message').map((f) => f.seq)).toEqual([1, 2, 3, 4]);
    expect(a.socket.of('message').map((f) => f.seq)).toEqual([1, 2, 3, 4]);
    expect(b.socket.topics.has('room/r1')).toBe(true);
  });
});

describe('RoomHub resync', () => {
  it('asks once per room and drops the users the answer no longer lists as members', async () => {
    const { backend, hub, events, joined } = setup();
    const [a, b, c] = await joined('alice', 'bob', 'carol');
    const removed: string[] = [];
    const resync = hub.resync((roomId, userId) => {
      removed.push(`${roomId}/${userId}`);
      events.membership({ kind: 'removed', roomId, userId, at: 1 });
    });
    await tick();
    expect(backend.joins[3]?.request).toEqual({ kind: 'join', roomId: 'r1', userId: 'alice', afterSeq: 0 });
    backend.joins[3]?.reply.resolve(accepted(2, [1, 2], ['alice', 'carol'])); // bob was removed meanwhile
    await resync;
    expect(backend.joins).toHaveLength(4);
    events.roomFrame(liveFrame(3));
    expect(removed).toEqual(['r1/bob']);
    expect(b.socket.of('removed')).toEqual([{ type: 'removed', roomId: 'r1' }]);
    expect(b.socket.of('message')).toEqual([]);
    for (const m of [a, c]) expect(m.socket.of('message').map((f) => f.seq)).toEqual([1, 2, 3]);
  });

  it('asks as the next user when the first is no longer a member', async () => {
    const { backend, hub, events, joined } = setup();
    const [a, b] = await joined('alice', 'bob');
    const removed: string[] = [];
    const resync = hub.resync((roomId, userId) => {
      removed.push(`${roomId}/${userId}`);
      events.membership({ kind: 'removed', roomId, userId, at: 1 });
    });
    await tick();
    backend.joins[2]?.reply.resolve({ ok: false, code: 'NOT_A_MEMBER', message: 'not a member' });
    await tick();
    expect(backend.joins[3]?.request).toEqual({ kind: 'join', roomId: 'r1', userId: 'bob', afterSeq: 0 });
    backend.joins[3]?.reply.resolve(accepted(1, [1], ['bob']));
    await resync;
    expect(removed).toEqual(['r1/alice']);
    expect(a.socket.of('message')).toEqual([]);
    expect(b.socket.of('message').map((f) => f.seq)).toEqual([1]);
  });
});
