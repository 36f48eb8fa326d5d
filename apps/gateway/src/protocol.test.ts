/** The gateway's door: hello, ping, frame checks and closes, typing, with the broker replaced by recorders. */
import { AuthError, type Verifier } from '@coffeechat/auth';
import { describe, expect, it, vi } from 'vitest';
import { accepted, setup, tick } from '../test/protocol-fixture.js';

describe('ChatProtocol', () => {
  it('greets with hello and answers ping', async () => {
    const { connect } = setup();
    const a = connect('alice');
    a.frame({ type: 'ping', id: 'p' });
    await tick();
    expect(a.socket.sent).toEqual([
      { type: 'hello', userId: 'alice', connId: 'conn1', heartbeatSec: 25 },
      { type: 'pong', id: 'p' },
    ]);
  });

  it('delivers a typing frame to the other users’ sockets only', async () => {
    const { joined, events } = setup();
    const [a, a2, b] = await joined('alice', 'alice', 'bob');
    events.roomFrame({
      roomId: 'r1',
      userId: 'alice',
      bytes: Buffer.from('{"type":"typing","roomId":"r1","userId":"alice"}'),
    });
    expect(b.socket.of('typing')).toHaveLength(1);
    expect(a.socket.of('typing')).toHaveLength(0);
    expect(a2.socket.of('typing')).toHaveLength(0);
  });

  it('closes with 1009 above 64 KiB, 1008 on binary and after the 51st bad frame of a minute', async () => {
    const { connect, protocol, sessions } = setup();
    const big = connect('a');
    protocol.receive(big.session, new ArrayBuffer(64 * 1024 + 1), false);
    expect(big.socket.ended?.code).toBe(1009);
    const bin = connect('b');
    protocol.receive(bin.session, new ArrayBuffer(4), true);
    expect(bin.socket.ended?.code).toBe(1008);
    const bad = connect('c');
    for (let i = 0; i < 51; i++)
      protocol.receive(bad.session, new TextEncoder().encode('nope').buffer as ArrayBuffer, false);
    await tick();
    expect(bad.socket.of('error')).toHaveLength(51);
    expect(bad.socket.ended?.code).toBe(1008);
    expect(sessions.size).toBe(0);
  });
});

describe('ChatProtocol: authorization by state and limits', () => {
  it('answers typing and read NOT_JOINED until joined was answered, then lets them through', async () => {
    const { connect, backend } = setup();
    const a = connect('alice');
    a.frame({ type: 'join', id: 'j', roomId: 'r1' });
    a.frame({ type: 'typing', id: 't1', roomId: 'r1' });
    a.frame({ type: 'read', id: 'r1', roomId: 'r1', seq: 1 });
    await tick();
    expect(a.socket.of('error').map((f) => [f.id, f.code])).toEqual([
      ['t1', 'NOT_JOINED'],
      ['r1', 'NOT_JOINED'],
    ]);
    expect(backend.typings).toHaveLength(0);
    backend.joins[0]?.reply.resolve(accepted(0));
    await tick();
    a.frame({ type: 'typing', id: 't2', roomId: 'r1' });
    await tick();
    expect(backend.typings).toHaveLength(1);
    expect(a.socket.of('error')).toHaveLength(2);
  });

  it('refuses the 11th join or leave of a second and a join past the rooms allowed per connection', async () => {
    const limited = setup({ joinsPerSecond: 10 });
    const a = limited.connect('alice');
    for (let i = 0; i < 11; i++) a.frame({ type: i % 2 ? 'leave' : 'join', id: `f${i}`, roomId: `r${i}` });
    await tick();
    expect(a.socket.of('error').map((f) => [f.id, f.code])).toEqual([['f10', 'RATE_LIMITED']]);
    expect(limited.backend.binds).toHaveLength(5);

    const few = setup({ maxRooms: 2 });
    const b = few.connect('bob');
    for (const roomId of ['r1', 'r2', 'r3']) b.frame({ type: 'join', id: roomId, roomId });
    await tick();
    expect(b.socket.of('error').map((f) => [f.id, f.code])).toEqual([['r3', 'RATE_LIMITED']]);
  });

  it('counts NOT_JOINED and NOT_A_MEMBER answers as bad frames: the 51st in a minute closes with 1008', async () => {
    const { connect, backend } = setup();
    const a = connect('mallory');
    for (let i = 0; i < 30; i++) a.frame({ type: 'typing', roomId: 'r1' });
    a.frame({ type: 'join', roomId: 'secret' });
    await tick();
    backend.joins[0]?.reply.resolve({ ok: false, code: 'NOT_A_MEMBER', message: 'no' });
    await tick();
    for (let i = 0; i < 20; i++) a.frame({ type: 'join', roomId: 'secret' }); // remembered refusals
    await tick();
    expect(a.socket.of('error')).toHaveLength(51);
    expect(a.socket.ended?.code).toBe(1008);
  });
});

describe('ChatProtocol: tokens on live connections', () => {
  it('at exp sends TOKEN_EXPIRED, answers frames but refresh and ping with it, and closes with 4001 after the grace', async () => {
    vi.useFakeTimers({ now: 1_000_000_000_000 });
    try {
      const nowSec = Math.floor(Date.now() / 1000);
      const { connect } = setup({ graceSec: 10 });
      const a = connect('alice', nowSec + 5);
      await vi.advanceTimersByTimeAsync(5_000);
      expect(a.socket.of('error')).toEqual([expect.objectContaining({ code: 'TOKEN_EXPIRED' })]);
      a.frame({ type: 'join', id: 'j', roomId: 'r1' });
      a.frame({ type: 'ping', id: 'p' });
      await vi.advanceTimersByTimeAsync(0);
      expect(a.socket.sent.slice(-2)).toEqual([
        expect.objectContaining({ type: 'error', id: 'j', code: 'TOKEN_EXPIRED' }),
        { type: 'pong', id: 'p' },
      ]);
      await vi.advanceTimersByTimeAsync(9_900);
      expect(a.socket.ended).toBeUndefined();
      await vi.advanceTimersByTimeAsync(200);
      expect(a.socket.ended).toEqual({ code: 4001, reason: 'token expired' });
    } finally {
      vi.useRealTimers();
    }
  });

  it('a refresh for the same user moves the deadline; a bad one or one for another user changes nothing', async () => {
    vi.useFakeTimers({ now: 1_000_000_000_000 });
    try {
      const nowSec = Math.floor(Date.now() / 1000);
      const verify: Verifier = async (token) => {
        const [userId, exp] = token.split(':');
        if (!userId || !exp) throw new AuthError('invalid token (malformed)');
        return { userId, admin: false, exp: Number(exp) };
      };
      const { connect } = setup({ graceSec: 2, verify });
      const a = connect('alice', nowSec + 5);
      a.frame({ type: 'refresh', id: 'bad', token: 'garbage' });
      a.frame({ type: 'refresh', id: 'other', token: `bob:${nowSec + 60}` });
      await vi.advanceTimersByTimeAsync(0);
      expect(a.socket.of('error').map((f) => [f.id, f.code])).toEqual([
        ['bad', 'UNAUTHORIZED'],
        ['other', 'UNAUTHORIZED'],
      ]);
      a.frame({ type: 'refresh', id: 'ok', token: `alice:${nowSec + 60}` });
      await vi.advanceTimersByTimeAsync(0);
      expect(a.socket.of('refreshed')).toEqual([{ type: 'refreshed', id: 'ok', exp: nowSec + 60 }]);
      await vi.advanceTimersByTimeAsync(30_000);
      expect(a.socket.ended).toBeUndefined();
      expect(a.socket.of('error')).toHaveLength(2);
      await vi.advanceTimersByTimeAsync(32_000); // past the new exp and its grace
      expect(a.socket.ended?.code).toBe(4001);
    } finally {
      vi.useRealTimers();
    }
  });
});
