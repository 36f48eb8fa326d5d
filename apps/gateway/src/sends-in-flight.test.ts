/** A send from frame to ack, with the socket, topics and broker replaced by recorders. */
import { CodedError, WsErrorCode } from '@coffeechat/contracts';
import { describe, expect, it } from 'vitest';
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

  it('absorbs a resend of a send in flight, sheds sends past the in-flight bound, lets resends through after a broker reconnect', async () => {
    const { joined, backend, events, sends } = setup({ maxSendsInFlight: 2 });
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
    // the broker connection came back: acks published meanwhile are lost, so the client is told to send
    // again (at once, not after its ack timeout) and its resends go through
    sends.brokerRestored();
    expect(a.socket.of('error').slice(-2)).toEqual([
      { type: 'error', code: 'UNAVAILABLE', message: expect.any(String), roomId: 'r1', clientMsgId: 'c2' },
      { type: 'error', code: 'UNAVAILABLE', message: expect.any(String), roomId: 'r1', clientMsgId: 'c3' },
    ]);
    send('c2');
    await tick();
    expect(backend.sends.map((s) => s.clientMsgId)).toEqual(['c1', 'c2', 'c3', 'c2']);
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
