/**
 * The systems a scenario can load: CoffeeChat (started here, or given by URL) and the two peers of
 * loadtest/peers/. Each says how to reach it, which processes to watch, and how to set rooms up.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mintToken } from '@coffeechat/auth';
import { freePort } from '@coffeechat/testkit';
import type { DriverName } from '../generator/messages.js';
import type { PlannedRoom } from '../generator/plan.js';
import { REPORTS_DIR } from '../report/write.js';
import { CoffeeChatStack } from '../stack/coffeechat-stack.js';
import { createRooms } from '../stack/rooms.js';
import { type ServiceProcess, spawnService } from '../stack/service-process.js';
import type { BenchContext } from './context.js';

export interface SystemUnderTest {
  /** label in reports, e.g. `coffeechat P=16` */
  name: string;
  driver: DriverName;
  /** one endpoint per gateway / node */
  urls: string[];
  processes(): { name: string; pid: number }[];
  /** the processes holding client connections (their memory is divided by connections) */
  frontends(): string[];
  /** RabbitMQ inbound partition queues, when the system has them */
  partitionQueues(): string[];
  namespace: string | null;
  /** the store database this run wrote (left in place, see CoffeeChatStack.cleanup) */
  database: string | null;
  /** ports whose /metrics carry the hop histograms (CoffeeChat only) */
  metricsPorts(): { routers: number[]; gateways: number[] };
  prepare(rooms: readonly PlannedRoom[]): Promise<void>;
  stop(): Promise<void>;
  stack?: CoffeeChatStack;
}

const PEERS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', 'peers');

/** SPEC §4 systems (CoffeeChat and the uWS peer) are driven through the SDK unless `--driver=raw`. */
const specDriver = (ctx: BenchContext): DriverName => (ctx.params.driver === 'raw' ? 'spec-ws' : 'coffeechat-client');

/** Where `--profile=1` puts the services' CPU profiles: beside the run's reports. */
function profileDir(ctx: BenchContext): string {
  return path.join(REPORTS_DIR, `profiles-${ctx.scenario}-${new Date(ctx.origin).toISOString().replace(/[:.]/g, '-')}`);
}

async function adminToken(ctx: BenchContext): Promise<string> {
  return mintToken('loadtest-admin', { secret: ctx.jwtSecret, admin: true, ttl: '2h' });
}

export async function startCoffeeChat(
  ctx: BenchContext,
  o: { gateways: number; routers: number; partitions: number; batchMax?: number; name?: string },
): Promise<SystemUnderTest> {
  const p = ctx.params;
  if (p.gatewayUrls.length > 0 && p.routerUrl) {
    const routerUrl = p.routerUrl;
    return {
      name: o.name ?? 'coffeechat (external)',
      driver: specDriver(ctx),
      urls: p.gatewayUrls,
      processes: () => [],
      frontends: () => [],
      partitionQueues: () => [],
      namespace: null,
      database: null,
      metricsPorts: () => ({ routers: [], gateways: [] }),
      prepare: async (rooms) => createRooms(routerUrl, await adminToken(ctx), rooms),
      stop: async () => undefined,
    };
  }
  const batchMax = o.batchMax ?? p.batchMax;
  ctx.log(
    `starting CoffeeChat: ${o.gateways} gateway(s), ${o.routers} router(s), ROUTER_PARTITIONS=${o.partitions}, ROUTER_BATCH_MAX=${batchMax}`,
  );
  const stack = await CoffeeChatStack.start({
    ...o,
    batchMax,
    ...(p.profile ? { profileDir: profileDir(ctx) } : {}),
    infra: ctx.infra,
    jwtSecret: ctx.jwtSecret,
    label: 'bench',
  });
  return {
    name: o.name ?? `coffeechat P=${o.partitions}`,
    driver: specDriver(ctx),
    urls: stack.gatewayUrls(),
    processes: () => stack.processes(),
    frontends: () => stack.gateways.map((g) => g.name),
    partitionQueues: () => stack.partitionQueues(),
    namespace: stack.namespace,
    database: stack.database,
    metricsPorts: () => ({ routers: stack.routers.map((r) => r.port), gateways: stack.gateways.map((g) => g.port) }),
    prepare: async (rooms) => createRooms(stack.routerUrl(), await adminToken(ctx), rooms),
    stop: async () => {
      await stack.stop();
      await stack.cleanup();
    },
    stack,
  };
}

/** Peer (a): two Socket.IO nodes sharing rooms through @socket.io/redis-adapter. */
export async function startSocketIoPeer(ctx: BenchContext, nodes = 2): Promise<SystemUnderTest> {
  ctx.log(`starting the Socket.IO peer: ${nodes} nodes + Redis adapter`);
  const procs: ServiceProcess[] = [];
  try {
    for (let i = 0; i < nodes; i++) {
      const port = await freePort();
      procs.push(
        await spawnService({
          name: `socketio-${i}`,
          script: path.join(PEERS_DIR, 'socketio-server.js'),
          port,
          readyPath: '/healthz',
          env: { PEER_PORT: String(port), REDIS_URL: ctx.infra.redis, PEER_KEY: `bench-${ctx.runTag}` },
        }),
      );
    }
  } catch (err) {
    await Promise.all(procs.map((p) => p.stop()));
    throw err;
  }
  return peer('socketio', 'socketio', procs, (p) => `http://127.0.0.1:${p.port}`);
}

/** Peer (b): one bare uWebSockets.js pub/sub process. */
export async function startUwsPeer(ctx: BenchContext): Promise<SystemUnderTest> {
  ctx.log('starting the bare uWebSockets.js peer');
  const port = await freePort();
  const proc = await spawnService({
    name: 'uws-0',
    script: path.join(PEERS_DIR, 'uws-server.js'),
    port,
    readyPath: '/healthz',
    env: { PEER_PORT: String(port) },
  });
  return peer('uws', specDriver(ctx), [proc], (p) => `ws://127.0.0.1:${p.port}/ws`);
}

function peer(
  name: string,
  driver: DriverName,
  procs: ServiceProcess[],
  url: (p: ServiceProcess) => string,
): SystemUnderTest {
  return {
    name,
    driver,
    urls: procs.map(url),
    processes: () => procs.map((p) => ({ name: p.name, pid: p.pid })),
    frontends: () => procs.map((p) => p.name),
    partitionQueues: () => [],
    namespace: null,
    database: null,
    metricsPorts: () => ({ routers: [], gateways: [] }),
    prepare: async () => undefined,
    stop: async () => {
      await Promise.all(procs.map((p) => p.stop()));
    },
  };
}
