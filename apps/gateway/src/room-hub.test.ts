/** The room hub after a broker reconnect, with the socket, topics and broker replaced by recorders. */
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
    const resync = hub.resync();
    await tick();
    expect(backend.joins[2]?.request).toMatchObject({ roomId: 'r1', afterSeq: 3 });
    events.roomFrame(liveFrame(8)); // live traffic flows before the router answers
    backend.joins[2]?.reply.resolve(accepted(7, [4, 5, 6, 7]));
    await resync;
    events.roomFrame(liveFrame(9));
    expect(a.socket.of('message').map((f) => f.seq)).toEqual([3, 4, 5, 6, 7, 8, 9]);
    expect(b.socket.of('message').map((f) => f.seq)).toEqual([6, 7, 8, 9]);
  });
});
