/**
 * A broker outage seen by one gateway: its RabbitMQ connection runs through a TCP proxy the test
 * cuts. While cut, joins get UNAVAILABLE, /readyz answers 503 and sends are held by the gateway (an
 * answer only once the hold time is up); once restored the gateway reconnects, re-binds its rooms,
 * publishes the held sends itself and the chat flows again: each send of the outage acked once, in
 * order, without the client sending it again.
 */
import { ChatStack, eventually, RawSocket, TcpProxy, tokenFor } from '@coffeechat/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** the gateway behind the proxy holds a send this long during the outage */
const HOLD_MS = 4000;

let stack: ChatStack;
let proxy: TcpProxy;

beforeAll(async () => {
  const toBroker = await TcpProxy.toBroker();
  proxy = toBroker.proxy;
  stack = await ChatStack.start({ label: 'outage', routers: 1, gateways: 1 });
  await stack.startGateway({
    AMQP_URL: toBroker.amqpUrl,
    GATEWAY_BROKER_TIMEOUT_MS: '2000',
    GATEWAY_SEND_HOLD_MS: String(HOLD_MS),
  });
}, 120_000);

afterAll(async () => {
  await stack?.stop();
  await proxy?.close();
}, 60_000);

describe('broker outage at one gateway', () => {
  it('holds sends while the broker is unreachable and publishes them itself once it is back: acked once, in order', async () => {
    const room = await stack.createRoom(['quinn', 'rae']);
    const quinn = await RawSocket.open(stack.wsUrl(1), await tokenFor('quinn')); // behind the proxy
    const rae = await RawSocket.open(stack.wsUrl(0), await tokenFor('rae'));
    await quinn.request({ type: 'join', id: 'j', roomId: room.roomId });
    await rae.request({ type: 'join', id: 'j', roomId: room.roomId });
    await quinn.request({ type: 'send', id: 's0', roomId: room.roomId, clientMsgId: 'q0', body: 'up' });

    proxy.cut();
    const readyz = `http://127.0.0.1:${stack.gateways[1]?.port}/readyz`;
    await eventually(async () => expect((await fetch(readyz)).status).toBe(503), 10_000, 100);
    // Held until the hold time is up (the broker is still away), then UNAVAILABLE: the client may retry.
    const heldAt = Date.now();
    expect(
      await quinn.request({ type: 'send', id: 's1', roomId: room.roomId, clientMsgId: 'q1', body: 'down' }, 20_000),
    ).toMatchObject({ type: 'error', code: 'UNAVAILABLE', roomId: room.roomId, clientMsgId: 'q1' });
    expect(Date.now() - heldAt).toBeGreaterThanOrEqual(HOLD_MS - 100);
    expect(await quinn.request({ type: 'join', id: 'j2', roomId: 'other' })).toMatchObject({ code: 'UNAVAILABLE' });
    expect(await quinn.request({ type: 'ping', id: 'p' })).toEqual({ type: 'pong', id: 'p' });
    // Stored while quinn's gateway cannot receive them:
    await rae.request({ type: 'send', id: 'r1', roomId: room.roomId, clientMsgId: 'r1', body: 'while you were away' });
    await rae.request({ type: 'send', id: 'r2', roomId: room.roomId, clientMsgId: 'r2', body: 'and this' });
    // Sent once each during the outage, and never again: the gateway holds them.
    for (const n of [2, 3, 4])
      quinn.send({ type: 'send', id: `s${n}`, roomId: room.roomId, clientMsgId: `q${n}`, body: `held ${n}` });
    await new Promise((r) => setTimeout(r, 500));
    expect(quinn.frames.filter((f) => f.type === 'ack' || f.type === 'error').map((f) => f.id)).toEqual([
      's0',
      's1',
      'j2',
    ]);

    proxy.restore();
    // The held sends are published as soon as the gateway's rooms are bound again: acked once each, in order.
    await quinn.next((f) => f.type === 'ack' && f.id === 's4', 30_000);
    const acks = quinn.frames.filter((f) => f.type === 'ack');
    expect(acks.map((f) => [f.clientMsgId, f.seq])).toEqual([
      ['q0', 1],
      ['q2', 4],
      ['q3', 5],
      ['q4', 6],
    ]);
    // The gateway fetches what its sockets missed, unprompted; every member sees each message once, in order.
    await quinn.next((f) => f.type === 'message' && f.seq === 6, 15_000);
    await rae.next((f) => f.type === 'message' && f.seq === 6);
    // The send answered UNAVAILABLE, retried with its clientMsgId, goes through.
    expect(
      await quinn.request({ type: 'send', id: 's5', roomId: room.roomId, clientMsgId: 'q1', body: 'down' }),
    ).toMatchObject({ type: 'ack', seq: 7 });
    await rae.request({ type: 'send', id: 'r3', roomId: room.roomId, clientMsgId: 'r3', body: 'welcome back' });
    await quinn.next((f) => f.type === 'message' && f.seq === 8);
    for (const socket of [quinn, rae]) {
      const messages = socket.frames.filter((f) => f.type === 'message');
      expect(messages.map((f) => f.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(messages.slice(3, 6).map((f) => f.clientMsgId)).toEqual(['q2', 'q3', 'q4']);
    }
    expect(quinn.frames.filter((f) => f.type === 'error').map((f) => f.id)).toEqual(['s1', 'j2']);
    rae.close();

    // Graceful shutdown, with the broker away and a send held: SIGTERM closes the sockets with 1001 and
    // the process exits within 10 s.
    proxy.cut();
    await eventually(async () => expect((await fetch(readyz)).status).toBe(503), 10_000, 100);
    quinn.send({ type: 'send', id: 's6', roomId: room.roomId, clientMsgId: 'q6', body: 'held at shutdown' });
    const gateway = stack.gateways[1];
    const started = Date.now();
    const closed = quinn.whenClosed(12_000);
    await gateway?.stop();
    expect((await closed).code).toBe(1001);
    expect(gateway?.child.exitCode).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
