/** The gateway's door: hello, ping, frame checks and closes, typing, with the broker replaced by recorders. */
import { describe, expect, it } from 'vitest';
import { setup, tick } from '../test/protocol-fixture.js';

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
