/**
 * A broker outage seen by one gateway: its RabbitMQ connection runs through a TCP proxy the test
 * cuts. While cut, sends get UNAVAILABLE and /readyz answers 503; once restored the gateway
 * reconnects, re-binds its rooms and the chat flows again.
 */
import { ChatStack, eventually, RawSocket, TcpProxy, tokenFor } from '@coffeechat/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let stack: ChatStack;
let proxy: TcpProxy;

beforeAll(async () => {
  const toBroker = await TcpProxy.toBroker();
  proxy = toBroker.proxy;
  stack = await ChatStack.start({ label: 'outage', routers: 1, gateways: 1 });
  await stack.startGateway({ AMQP_URL: toBroker.amqpUrl, GATEWAY_BROKER_TIMEOUT_MS: '2000' });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await proxy?.close();
}, 60_000);

describe('broker outage at one gateway', () => {
  it('answers UNAVAILABLE while the broker is unreachable, then restores its rooms without losing a message', async () => {
    const room = await stack.createRoom(['quinn', 'rae']);
    const quinn = await RawSocket.open(stack.wsUrl(1), await tokenFor('quinn')); // behind the proxy
    const rae = await RawSocket.open(stack.wsUrl(0), await tokenFor('rae'));
    await quinn.request({ type: 'join', id: 'j', roomId: room.roomId });
    await rae.request({ type: 'join', id: 'j', roomId: room.roomId });
    await quinn.request({ type: 'send', id: 's0', roomId: room.roomId, clientMsgId: 'q0', body: 'up' });

    proxy.cut();
    const readyz = `http://127.0.0.1:${stack.gateways[1]?.port}/readyz`;
    await eventually(async () => expect((await fetch(readyz)).status).toBe(503), 10_000, 100);
    expect(
      await quinn.request({ type: 'send', id: 's1', roomId: room.roomId, clientMsgId: 'q1', body: 'down' }),
    ).toMatchObject({ type: 'error', code: 'UNAVAILABLE', roomId: room.roomId, clientMsgId: 'q1' });
    expect(await quinn.request({ type: 'join', id: 'j2', roomId: 'other' })).toMatchObject({ code: 'UNAVAILABLE' });
    expect(await quinn.request({ type: 'ping', id: 'p' })).toEqual({ type: 'pong', id: 'p' });
    // Stored while quinn's gateway cannot receive them:
    await rae.request({ type: 'send', id: 'r1', roomId: room.roomId, clientMsgId: 'r1', body: 'while you were away' });
    await rae.request({ type: 'send', id: 'r2', roomId: room.roomId, clientMsgId: 'r2', body: 'and this' });

    proxy.restore();
    await eventually(async () => expect((await fetch(readyz)).status).toBe(200), 20_000, 100);
    // The gateway fetches what its sockets missed, unprompted.
    await quinn.next((f) => f.type === 'message' && f.seq === 3, 15_000);
    // The refused send, retried with its clientMsgId, goes through; both sides get the room traffic again.
    let ack = await quinn.request({ type: 'send', id: 's2', roomId: room.roomId, clientMsgId: 'q1', body: 'down' });
    for (let i = 0; ack.type !== 'ack' && i < 20; i++) {
      await new Promise((r) => setTimeout(r, 250));
      ack = await quinn.request({ type: 'send', id: `s2-${i}`, roomId: room.roomId, clientMsgId: 'q1', body: 'down' });
    }
    expect(ack).toMatchObject({ type: 'ack', seq: 4 });
    await rae.next((f) => f.type === 'message' && f.seq === 4);
    await rae.request({ type: 'send', id: 'r3', roomId: room.roomId, clientMsgId: 'r3', body: 'welcome back' });
    await quinn.next((f) => f.type === 'message' && f.seq === 5);
    expect(quinn.frames.filter((f) => f.type === 'message').map((f) => f.seq)).toEqual([1, 2, 3, 4, 5]);
    rae.close();

    // Graceful shutdown: SIGTERM closes the sockets with 1001 and the process exits within 10 s.
    const gateway = stack.gateways[1];
    const started = Date.now();
    const closed = quinn.whenClosed(12_000);
    await gateway?.stop();
    expect((await closed).code).toBe(1001);
    expect(gateway?.child.exitCode).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
