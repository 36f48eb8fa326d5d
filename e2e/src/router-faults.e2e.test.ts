/**
 * What a client sees when the router misbehaves, with the test itself playing the router on the RPC
 * queue: a reply that breaks the contract gives INTERNAL, no reply at all gives UNAVAILABLE.
 */
import { topology } from '@coffeechat/contracts';
import { ChatStack, RawSocket, servers, tokenFor } from '@coffeechat/testkit';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

let stack: ChatStack;
let connection: amqp.ChannelModel;

beforeAll(async () => {
  stack = await ChatStack.start({
    label: 'faults',
    routers: 0,
    gateways: 1,
    gatewayEnv: () => ({ GATEWAY_BROKER_TIMEOUT_MS: '1500' }),
  });
  connection = await amqp.connect(servers.amqpUrl);
}, 120_000);

afterAll(async () => {
  await connection?.close();
  await stack?.stop();
}, 60_000);

describe('router faults', () => {
  it('INTERNAL for a join reply that breaks the contract, UNAVAILABLE when no router answers', async () => {
    const socket = await RawSocket.open(stack.wsUrl(0), await tokenFor('sam'));
    expect(await socket.request({ type: 'join', id: 'j1', roomId: 'r1' })).toMatchObject({
      type: 'error',
      code: 'UNAVAILABLE',
      id: 'j1',
    });

    const channel = await connection.createChannel();
    const queue = topology(stack.namespace).routerRpcQueue;
    await channel.assertQueue(queue, { durable: true });
    await channel.consume(
      queue,
      (msg) => {
        if (!msg) return;
        channel.sendToQueue(msg.properties.replyTo, Buffer.from('{"ok":"perhaps"}'), {
          correlationId: msg.properties.correlationId,
        });
        channel.ack(msg);
      },
      { noAck: false },
    );
    expect(await socket.request({ type: 'join', id: 'j2', roomId: 'r1' })).toMatchObject({
      type: 'error',
      code: 'INTERNAL',
      id: 'j2',
      roomId: 'r1',
    });
    expect(await socket.request({ type: 'ping', id: 'p' })).toEqual({ type: 'pong', id: 'p' });
    await channel.deleteQueue(queue);
    socket.close();
  });
});
