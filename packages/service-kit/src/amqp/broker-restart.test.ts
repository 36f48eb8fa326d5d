/**
 * Request/reply across a restart of the test's own RabbitMQ node (stopped cleanly and started again, as
 * the fault suite's broker-restart does): both sides reconnect while the node's quorum queues elect their
 * leaders, and a caller's burst of requests (a gateway's room catch-ups) waits in the server's queue
 * before the server consumes again (D9 in docs/reliability.md).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exchange, validator } from '@coffeechat/contracts';
import { eventually, RabbitNode } from '@coffeechat/testkit';
import { Type } from '@sinclair/typebox';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLogger } from '../logger.js';
import { connectBroker } from './broker.js';
import { RpcClient } from './rpc-client.js';
import { RpcServer } from './rpc-server.js';

const Echo = Type.Object({ n: Type.Integer() }, { additionalProperties: false });
type Echo = { n: number };
const isEcho = (value: unknown): value is Echo => typeof value === 'object' && value !== null && 'n' in value;
const logger = createLogger('broker-restart-test', 'silent');
const home = mkdtempSync(path.join(os.tmpdir(), 'cc-broker-restart-'));
let node: RabbitNode;

beforeAll(async () => {
  node = await RabbitNode.create(home, `ccrestart${process.pid}`);
  await node.start();
}, 120_000);

afterAll(async () => {
  await node?.dispose();
  rmSync(home, { recursive: true, force: true });
}, 120_000);

describe('request/reply across a broker restart', () => {
  it('answers a burst sent as soon as the caller is back, and every request after it', async () => {
    const serving = connectBroker(node.amqpUrl, logger, 'restart-server');
    const calling = connectBroker(node.amqpUrl, logger, 'restart-client');
    const server = new RpcServer<Echo, Echo>({
      broker: serving,
      logger,
      name: 'restart-server',
      queue: 'restart.rpc',
      prefetch: 4,
      deadLetterExchange: exchange('restart.dlx', 'fanout'),
      request: validator(Echo),
      answer: async (request) => request,
      badRequest: () => ({ n: -1 }),
      failed: () => ({ n: -2 }),
    });
    server.start();
    const client = new RpcClient<Echo, Echo>({
      broker: calling,
      logger,
      name: 'restart-client',
      peer: 'the server',
      queue: 'restart.rpc',
      timeoutMs: 20_000,
      isReply: isEcho,
    });
    client.start();
    await eventually(() => expect([serving.isReady(), calling.isReady()]).toEqual([true, true]), 20_000);
    expect(await client.call({ n: 0 })).toEqual({ n: 0 });

    await node.stop();
    await node.start();
    await eventually(() => expect(calling.isReady()).toBe(true), 20_000);
    const burst = Array.from({ length: 12 }, (_, n) => ({ n: n + 1 }));
    expect(await Promise.all(burst.map((request) => client.call(request)))).toEqual(burst);
    expect(await client.call({ n: 50 })).toEqual({ n: 50 });
    expect(serving.isReady()).toBe(true);

    await client.close();
    await server.stop();
    await Promise.all([serving.close(), calling.close()]);
  }, 180_000);
});
