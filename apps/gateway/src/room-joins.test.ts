/** Joining, leaving and removal, with the socket, topics and broker replaced by recorders. */
import type { MembershipEvent } from '@coffeechat/contracts';
import { describe, expect, it } from 'vitest';
import { accepted, liveFrame, setup, tick } from '../test/protocol-fixture.js';

describe('RoomJoins', () => {
  it('joins: binds the room, asks the router, then writes joined, the replay and the live frames after it, once each', async () => {
    const { connect, backend, events } = setup();
    const a = connect('alice');
    a.frame({ type: 'join', id: 'j', roomId: 'r1', afterSeq: 2 });
    await tick();
    expect(backend.binds).toEqual(['r1']);
    expect(backend.joins[0]?.request).toEqual({ kind: 'join', roomId: 'r1', userId: 'alice', afterSeq: 2 });
    // While the router reads 3..5, messages 5 and 6 arrive live (5 twice: a re-publish).
    events.roomFrame(liveFrame(5));
    events.roomFrame(liveFrame(5));
    events.roomFrame(liveFrame(6));
    backend.joins[0]?.reply.resolve(accepted(5, [3, 4, 5]));
    await tick();
    events.roomFrame(liveFrame(7));
    const types = a.socket.sent.slice(1).map((f) => (f.type === 'message' ? f.seq : f.type));
    expect(types).toEqual(['joined', 3, 4, 5, 6, 7]);
    expect(a.socket.sent[1]).toMatchObject({ id: 'j', presence: { alice: 'offline', bob: 'offline' } });
    expect(a.socket.topics.has('room/r1')).toBe(true);
  });

  it('writes a long replay only as fast as the client reads, holding live frames until it is done', async () => {
    const { connect, backend, protocol, events } = setup({ lowWater: 100 });
    const a = connect('alice');
    a.frame({ type: 'join', roomId: 'r1', afterSeq: 0 });
    await tick();
    a.socket.buffered = 1000; // the client is behind
    backend.joins[0]?.reply.resolve(accepted(3, [1, 2, 3]));
    await tick();
    expect(a.socket.of('joined')).toHaveLength(1);
    expect(a.socket.of('message')).toHaveLength(0);
    events.roomFrame(liveFrame(4));
    a.socket.buffered = 0;
    protocol.drain(a.session);
    expect(a.socket.of('message').map((f) => f.seq)).toEqual([1, 2, 3, 4]);
    expect(a.socket.topics.has('room/r1')).toBe(true);
  });

  it('binds a room once for many sockets and unbinds after the last leaves', async () => {
    const { joined, backend } = setup();
    const [a, b] = await joined('alice', 'bob');
    expect(backend.binds).toEqual(['r1']);
    a.frame({ type: 'leave', id: 'l', roomId: 'r1' });
    await tick();
    expect(a.socket.sent.at(-1)).toEqual({ type: 'left', id: 'l', roomId: 'r1' });
    expect(backend.unbinds).toEqual([]);
    b.socket.end(1000, 'bye');
    expect(backend.unbinds).toEqual(['r1']);
  });

  it('on membership.removed: sends removed to that user’s sockets, stops the room traffic, releases the binding', async () => {
    const { joined, backend, events } = setup();
    const [a, b] = await joined('alice', 'bob');
    const removed: MembershipEvent = { kind: 'removed', roomId: 'r1', userId: 'alice', at: 1 };
    events.membership(removed);
    expect(a.socket.sent.at(-1)).toEqual({ type: 'removed', roomId: 'r1' });
    events.roomFrame(liveFrame(1));
    expect(a.socket.of('message')).toHaveLength(0);
    expect(b.socket.of('message')).toHaveLength(1);
    b.frame({ type: 'leave', roomId: 'r1' });
    await tick();
    expect(backend.unbinds).toEqual(['r1']);
  });

  it('remembers NOT_A_MEMBER until a membership event for the pair', async () => {
    const { connect, backend, events } = setup();
    const a = connect('alice');
    a.frame({ type: 'join', id: 'j1', roomId: 'r1' });
    await tick();
    backend.joins[0]?.reply.resolve({ ok: false, code: 'NOT_A_MEMBER', message: 'no' });
    await tick();
    a.frame({ type: 'join', id: 'j2', roomId: 'r1' });
    await tick();
    expect(backend.joins).toHaveLength(1);
    expect(a.socket.of('error').map((f) => [f.id, f.code])).toEqual([
      ['j1', 'NOT_A_MEMBER'],
      ['j2', 'NOT_A_MEMBER'],
    ]);
    events.membership({ kind: 'added', roomId: 'r1', userId: 'alice', at: 1 });
    a.frame({ type: 'join', id: 'j3', roomId: 'r1' });
    await tick();
    expect(backend.joins).toHaveLength(2);
    expect(backend.unbinds).toEqual(['r1']);
  });
});
