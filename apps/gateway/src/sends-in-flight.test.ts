/** A send from frame to ack, with the socket, topics and broker replaced by recorders. */
import { CodedError, WsErrorCode } from '@coffeechat/contracts';
import { describe, expect, it, vi } from 'vitest';
import { accepted, liveFrame, setup, tick } from '../test/protocol-fixture.js';
import type { RoomFrame } from './room-feed.js';
import { UnconfirmedPublish } from './router-client.js';

describe('SendsInFlight', () => {
  it('sends: NOT_JOINED before a join; publishes with the connection id; UNAVAILABLE when the broker fails', async () => {
    const { connect, backend } = setup();
    const a = connect('alice');
    a.frame({ type: 'send', id: 's0', roomId: 'r1', clientMsgId: 'c0', body: 'x' });
    await tick();
    expect(a.socket.sent.at(-1)).toMatchObject({
      type: 'error',
      code: 'NOT_JOINED',
      id: 's0',
      roomId: 'r1',
      clientMsgId: 'c0',
    });
    a.frame({ type: 'join', roomId: 'r1' });
    await tick();
    backend.joins[0]?.reply.resolve(accepted(0));
    await tick();
    a.frame({ type: 'send', id: 's1', roomId: 'r1', clientMsgId: 'c1', body: 'hi' });
    await tick();
    expect(backend.sends[0]).toMatchObject({
      roomId: 'r1',
      senderId: 'alice',
      clientMsgId: 'c1',
      body: 'hi',
      id: 's1',
      connId: 'conn1',
    });
    backend.sendFailure = new CodedError(WsErrorCode.UNAVAILABLE, 'broker unavailable');
    a.frame({ type: 'send', roomId: 'r1', clientMsgId: 'c2', body: 'hi' });
    await tick();
    await tick();
    expect(a.socket.sent.at(-1)).toMatchObject({ type: 'error', code: 'UNAVAILABLE', roomId: 'r1', clientMsgId: 'c2' });
  });

  it('acks a send from the room frame that answers it, even after the sender left the room, then unbinds', async () => {
    const { joined, backend, events } = setup();
    const [a, b] = await joined('alice', 'bob');
    a.frame({ type: 'send', id: 's1', roomId: 'r1', clientMsgId: 'c1', body: 'b1' });
    await tick();
    const answered = (seq: number, clientMsgId: string, frameId?: string): RoomFrame => ({
      ...liveFrame(seq),
      storedAt: 1000 + seq,
      answers: { connId: 'conn1', clientMsgId, ...(frameId ? { frameId } : {}) },
    });
    events.roomFrame(answered(1, 'c1', 's1'));
    // both see the message; only the sender's connection gets the ack, after it
    expect(a.socket.sent.slice(-2)).toEqual([
      { type: 'message', roomId: 'r1', seq: 1, senderId: 'bob', clientMsgId: 'c1', body: 'b1', ts: 1 },
      { type: 'ack', id: 's1', roomId: 'r1', clientMsgId: 'c1', seq: 1, ts: 1001 },
    ]);
    expect(b.socket.of('ack')).toEqual([]);
    // a re-published message (a resend of a stored one) is not delivered twice, but acked again
    a.frame({ type: 'send', roomId: 'r1', clientMsgId: 'c1', body: 'b1' });
    await tick();
    events.roomFrame(answered(1, 'c1'));
    expect(a.socket.of('message')).toHaveLength(1);
    expect(a.socket.sent.at(-1)).toEqual({ type: 'ack', roomId: 'r1', clientMsgId: 'c1', seq: 1, ts: 1001 });
    // alice sends, then both leave before the ack: the room stays bound until it came
    a.frame({ type: 'send', roomId: 'r1', clientMsgId: 'c2', body: 'b2' });
    await tick();
    a.frame({ type: 'leave', roomId: 'r1' });
    b.frame({ type: 'leave', roomId: 'r1' });
    await tick();
    expect(backend.unbinds).toEqual([]);
    events.roomFrame(answered(2, 'c2'));
    expect(a.socket.sent.at(-1)).toMatchObject({ type: 'ack', clientMsgId: 'c2', seq: 2 });
    expect(a.socket.of('message')).toHaveLength(1); // left: no more room traffic
    expect(backend.unbinds).toEqual(['r1']);
  });

  it('absorbs a resend of a send in flight, sheds sends past the in-flight bound, publishes what awaits its ack again after a broker reconnect', async () => {
    const { joined, backend, events } = setup({ maxSendsInFlight: 2 });
    const [a] = await joined('alice');
    const send = (clientMsgId: string) => a.frame({ type: 'send', roomId: 'r1', clientMsgId, body: 'x' });
    send('c1');
    send('c1'); // the SDK's resend after its ack timeout: the first is still queued
    send('c2');
    await tick();
    expect(backend.sends.map((s) => s.clientMsgId)).toEqual(['c1', 'c2']);
    send('c3'); // two in flight: shed at the door
    await tick();
    expect(a.socket.sent.at(-1)).toMatchObject({ type: 'error', code: 'UNAVAILABLE', clientMsgId: 'c3' });
    events.roomFrame({ ...liveFrame(1), storedAt: 1, answers: { connId: 'conn1', clientMsgId: 'c1' } });
    send('c3'); // room again after an ack
    await tick();
    expect(backend.sends.map((s) => s.clientMsgId)).toEqual(['c1', 'c2', 'c3']);
    // the broker connection came back: acks published meanwhile are lost, so the gateway publishes what
    // awaits its ack again, in order, and tells the client nothing; a resend by the client is still absorbed
    const errors = a.socket.of('error').length;
    events.lost();
    events.restored();
    await tick();
    expect(backend.sends.map((s) => s.clientMsgId)).toEqual(['c1', 'c2', 'c3', 'c2', 'c3']);
    expect(backend.sends.slice(-2).map((s) => s.connId)).toEqual(['conn1', 'conn1']);
    expect(a.socket.of('error')).toHaveLength(errors);
    send('c2');
    await tick();
    expect(backend.sends).toHaveLength(5);
    events.roomFrame({ ...liveFrame(2), storedAt: 2, answers: { connId: 'conn1', clientMsgId: 'c2' } });
    expect(a.socket.sent.at(-1)).toMatchObject({ type: 'ack', clientMsgId: 'c2', seq: 2 });
  });

  it('keeps an unconfirmed send in flight (its ack may come), but not a refused one', async () => {
    const { joined, backend, events } = setup();
    const [a] = await joined('alice');
    const send = (clientMsgId: string) => a.frame({ type: 'send', roomId: 'r1', clientMsgId, body: 'x' });
    backend.sendFailure = new UnconfirmedPublish('broker did not confirm');
    send('c1');
    await tick();
    await tick();
    expect(a.socket.sent.at(-1)).toMatchObject({ type: 'error', code: 'UNAVAILABLE', clientMsgId: 'c1' });
    backend.sendFailure = undefined;
    send('c1'); // the client's retry: the broker may have the first one, so it is not published again
    await tick();
    expect(backend.sends).toEqual([]);
    events.roomFrame({ ...liveFrame(1), storedAt: 1, answers: { connId: 'conn1', clientMsgId: 'c1' } });
    expect(a.socket.sent.at(-1)).toMatchObject({ type: 'ack', clientMsgId: 'c1', seq: 1 });
    backend.sendFailure = new CodedError(WsErrorCode.UNAVAILABLE, 'broker unavailable');
    send('c2');
    await tick();
    await tick();
    backend.sendFailure = undefined;
    send('c2'); // refused at once: the retry goes through
    await tick();
    expect(backend.sends.map((s) => s.clientMsgId)).toEqual(['c2']);
  });

  it('answers RATE_LIMITED to the 21st send and the 6th typing frame of a second', async () => {
    const { joined, backend } = setup();
    const [a] = await joined('alice');
    for (let i = 0; i < 21; i++) a.frame({ type: 'send', roomId: 'r1', clientMsgId: `c${i}`, body: 'x' });
    for (let i = 0; i < 6; i++) a.frame({ type: 'typing', roomId: 'r1' });
    await tick();
    await tick();
    expect(backend.sends).toHaveLength(20);
    expect(backend.typings).toHaveLength(5);
    expect(a.socket.of('error').map((f) => f.code)).toEqual(['RATE_LIMITED', 'RATE_LIMITED']);
  });
});

describe('SendsInFlight across a broker outage: the gateway retries for the client', () => {
  const sent = (backend: { sends: Array<{ clientMsgId: string }> }) => backend.sends.map((s) => s.clientMsgId);

  it('holds sends while the broker is away and publishes them, after what awaited its ack, once the bindings are back', async () => {
    const { joined, backend, events, metrics } = setup();
    const [a, b] = await joined('alice', 'bob');
    const send = (c: typeof a, clientMsgId: string) => c.frame({ type: 'send', roomId: 'r1', clientMsgId, body: 'x' });
    send(a, 'a1'); // published before the outage; its ack is lost with the old queue
    await tick();
    events.lost();
    send(a, 'a2');
    send(b, 'b1');
    send(a, 'a3');
    await tick();
    send(a, 'a2'); // the client's resend of a held send: absorbed
    await tick();
    expect(sent(backend)).toEqual(['a1']);
    expect(a.socket.of('error')).toEqual([]);
    expect(await metrics.sendsHeld.get()).toMatchObject({ values: [{ value: 3 }] });
    events.restored();
    await tick();
    // each connection's sends in the order it sent them; nothing for the client to do
    expect(sent(backend)).toEqual(['a1', 'a1', 'a2', 'a3', 'b1']);
    expect([...a.socket.of('error'), ...b.socket.of('error')]).toEqual([]);
    expect(await metrics.sendsHeld.get()).toMatchObject({ values: [{ value: 0 }] });
    const answer = (seq: number, connId: string, clientMsgId: string) =>
      events.roomFrame({ ...liveFrame(seq), storedAt: seq, answers: { connId, clientMsgId } });
    answer(1, 'conn1', 'a1');
    answer(2, 'conn1', 'a2');
    answer(3, 'conn1', 'a3');
    answer(4, 'conn2', 'b1');
    expect(a.socket.of('ack').map((f) => f.clientMsgId)).toEqual(['a1', 'a2', 'a3']);
    expect(b.socket.of('ack').map((f) => f.clientMsgId)).toEqual(['b1']);
    send(a, 'a4'); // the link is up again: published at once
    await tick();
    expect(sent(backend).at(-1)).toBe('a4');
  });

  it('answers a held send UNAVAILABLE at its deadline, not before, and holds its retry again', async () => {
    vi.useFakeTimers({
      toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval', 'performance'],
      shouldAdvanceTime: true,
    });
    try {
      const { joined, backend, events } = setup({ holdMs: 5000 });
      const [a] = await joined('alice');
      const send = (clientMsgId: string) => a.frame({ type: 'send', roomId: 'r1', clientMsgId, body: 'x' });
      events.lost();
      send('c1');
      await vi.advanceTimersByTimeAsync(2000);
      send('c2');
      await vi.advanceTimersByTimeAsync(2900);
      expect(a.socket.of('error')).toEqual([]);
      await vi.advanceTimersByTimeAsync(200);
      expect(a.socket.of('error')).toEqual([
        expect.objectContaining({ code: 'UNAVAILABLE', roomId: 'r1', clientMsgId: 'c1' }),
      ]);
      send('c1'); // the client's retry after its backoff: held again, not absorbed
      await vi.advanceTimersByTimeAsync(2000);
      expect(a.socket.of('error').map((f) => f.clientMsgId)).toEqual(['c1', 'c2']);
      events.restored();
      await vi.advanceTimersByTimeAsync(0);
      expect(sent(backend)).toEqual(['c1']);
      await vi.advanceTimersByTimeAsync(10_000); // published: no deadline of the hold any more
      expect(a.socket.of('error')).toHaveLength(2);
    } finally {
      vi.useRealTimers();
    }
  });

  it('counts held sends against the gateway bound, drops the held sends of a closed connection, unbinds its room', async () => {
    const { joined, backend, events } = setup({ maxSendsInFlight: 2 });
    const [a, b] = await joined('alice', 'bob');
    events.lost();
    a.frame({ type: 'send', roomId: 'r1', clientMsgId: 'a1', body: 'x' });
    a.frame({ type: 'send', roomId: 'r1', clientMsgId: 'a2', body: 'x' });
    b.frame({ type: 'send', roomId: 'r1', clientMsgId: 'b1', body: 'x' });
    await tick();
    expect(b.socket.sent.at(-1)).toMatchObject({ type: 'error', code: 'UNAVAILABLE', clientMsgId: 'b1' });
    b.frame({ type: 'leave', roomId: 'r1' });
    a.socket.end(1000, 'bye');
    await tick();
    expect(backend.unbinds).toEqual(['r1']); // the held sends gave their references back
    b.frame({ type: 'join', roomId: 'r1' });
    await tick();
    backend.joins.at(-1)?.reply.resolve(accepted(0));
    await tick();
    b.frame({ type: 'send', roomId: 'r1', clientMsgId: 'b1', body: 'x' }); // room again: a's were dropped
    await tick();
    events.restored();
    await tick();
    expect(sent(backend)).toEqual(['b1']);
  });

  it('holds a send whose publish the broker refused as it went away; answers a publish refused after the restore as before', async () => {
    const { joined, backend, events } = setup();
    const [a] = await joined('alice');
    const send = (clientMsgId: string) => a.frame({ type: 'send', roomId: 'r1', clientMsgId, body: 'x' });
    send('c0'); // in flight when the broker goes
    await tick();
    const publish = backend.publishSend.bind(backend);
    backend.publishSend = async () => {
      events.lost(); // the connection dropped under this publish
      throw new CodedError(WsErrorCode.UNAVAILABLE, 'broker unavailable');
    };
    send('c1');
    await tick();
    await tick();
    expect(a.socket.of('error')).toEqual([]);
    backend.publishSend = publish;
    send('c2');
    await tick();
    backend.sendFailure = new CodedError(WsErrorCode.UNAVAILABLE, 'broker unavailable'); // gone again at once
    events.restored();
    await tick();
    await tick();
    expect(a.socket.of('error').map((f) => [f.code, f.clientMsgId])).toEqual([
      ['UNAVAILABLE', 'c0'],
      ['UNAVAILABLE', 'c1'],
      ['UNAVAILABLE', 'c2'],
    ]);
    backend.sendFailure = undefined;
    send('c0'); // answered: the client's retries go through
    send('c1');
    await tick();
    expect(sent(backend)).toEqual(['c0', 'c0', 'c1']);
  });

  it('with a hold time of 0 answers a send during the outage UNAVAILABLE at once, as before', async () => {
    const { joined, backend, events } = setup({ holdMs: 0 });
    const [a] = await joined('alice');
    events.lost();
    a.frame({ type: 'send', roomId: 'r1', clientMsgId: 'c1', body: 'x' });
    await tick();
    expect(a.socket.sent.at(-1)).toMatchObject({ type: 'error', code: 'UNAVAILABLE', clientMsgId: 'c1' });
    events.restored();
    await tick();
    expect(backend.sends).toEqual([]);
  });
});
