/**
 * The CoffeeChat services under test, each a separate process on a free port, isolated from
 * everything else on the broker and store by a fresh namespace and database per run; removed
 * again (queues, exchanges, database) when the run ends.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEV_JWT_SECRET } from '@coffeechat/auth';
import { topology } from '@coffeechat/contracts';
import { freePort, uniqueNamespace, withMongoDatabase } from '@coffeechat/testkit';
import amqp from 'amqplib';
import { brokerNames } from './rabbitmqctl.js';
import { type ServiceProcess, spawnService } from './service-process.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const script = (app: string) => path.join(ROOT, 'apps', app, 'dist', 'main.js');
const PORT_VARIABLE = { gateway: 'GATEWAY_PORT', 'message-router': 'ROUTER_PORT' } as const;

export interface InfraUrls {
  amqp: string;
  redis: string;
  mongo: string;
}

export interface StackOptions {
  gateways: number;
  routers: number;
  partitions: number;
  /** the routers' ROUTER_BATCH_MAX */
  batchMax: number;
  infra: InfraUrls;
  jwtSecret: string;
  label: string;
  /** write a CPU profile of every service here when it exits (`--profile`) */
  profileDir?: string;
}

export class CoffeeChatStack {
  readonly namespace: string;
  readonly database: string;
  readonly gateways: ServiceProcess[] = [];
  readonly routers: ServiceProcess[] = [];
  private readonly routerPorts: number[] = [];

  private constructor(private readonly o: StackOptions) {
    this.namespace = uniqueNamespace(o.label);
    this.database = `bench_${this.namespace}`;
  }

  static async start(o: StackOptions): Promise<CoffeeChatStack> {
    const stack = new CoffeeChatStack(o);
    try {
      // routers first: they declare the partition queues the gateways publish into
      for (let i = 0; i < o.routers; i++) {
        const port = await freePort();
        stack.routerPorts.push(port);
        stack.routers.push(await stack.spawn('message-router', `router-${i}`, port));
      }
      for (let i = 0; i < o.gateways; i++) {
        stack.gateways.push(await stack.spawn('gateway', `gateway-${i}`, await freePort()));
      }
    } catch (err) {
      await stack.stop();
      await stack.cleanup();
      throw err;
    }
    return stack;
  }

  private env(): Record<string, string> {
    return {
      CC_NAMESPACE: this.namespace,
      AMQP_URL: this.o.infra.amqp,
      REDIS_URL: this.o.infra.redis,
      MONGO_URL: withMongoDatabase(this.o.infra.mongo, this.database),
      ROUTER_PARTITIONS: String(this.o.partitions),
      ROUTER_BATCH_MAX: String(this.o.batchMax),
      // SPEC §2: the benches choose the development secret explicitly (or run with the JWT_SECRET given)
      ...(this.o.jwtSecret === DEV_JWT_SECRET
        ? { JWT_DEV_SECRET: '1', JWT_SECRET: '' }
        : { JWT_SECRET: this.o.jwtSecret, JWT_DEV_SECRET: '' }),
    };
  }

  private spawn(app: keyof typeof PORT_VARIABLE, name: string, port: number): Promise<ServiceProcess> {
    return spawnService({
      name,
      script: script(app),
      port,
      env: { ...this.env(), [PORT_VARIABLE[app]]: String(port) },
      nodeArgs: this.profileArgs(name),
    });
  }

  /** `--cpu-prof` into the profile directory, one file per start of a service */
  private profileArgs(name: string): string[] {
    if (!this.o.profileDir) return [];
    return ['--cpu-prof', `--cpu-prof-dir=${this.o.profileDir}`, `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`];
  }

  get partitions(): number {
    return this.o.partitions;
  }

  gatewayUrls(): string[] {
    return this.gateways.map((g) => `ws://127.0.0.1:${g.port}/ws`);
  }

  /** The HTTP API of a router that is up. */
  routerUrl(): string {
    const r = this.routers.find((x) => !x.exited) ?? this.routers[0];
    return `http://127.0.0.1:${r?.port ?? 0}`;
  }

  processes(): { name: string; pid: number }[] {
    return [...this.gateways, ...this.routers].map((p) => ({ name: p.name, pid: p.pid }));
  }

  partitionQueues(): string[] {
    const t = topology(this.namespace);
    return Array.from({ length: this.o.partitions }, (_, p) => t.inboundQueue(p));
  }

  /** kill -9 router i (a crash: no graceful hand-over). */
  async killRouter(i: number): Promise<void> {
    await this.routers[i]?.kill();
  }

  /** Starts router i again on its port; resolves when it is ready. */
  async restartRouter(i: number): Promise<ServiceProcess> {
    const port = this.routerPorts[i] ?? (await freePort());
    const proc = await this.spawn('message-router', `router-${i}`, port);
    this.routers[i] = proc;
    return proc;
  }

  async stop(): Promise<void> {
    await Promise.all(this.gateways.map((g) => g.stop()));
    await Promise.all(this.routers.map((r) => r.stop()));
  }

  /** Deletes the run's queues and exchanges (not its database, see removeNamespace). */
  async cleanup(): Promise<void> {
    await removeNamespace(this.o.infra.amqp, this.namespace, this.o.partitions);
  }
}

/**
 * Deletes a run's queues and exchanges from the machine's broker: what the topology names, plus
 * whatever else the services declared under the namespace.
 */
export async function removeNamespace(amqpUrl: string, namespace: string, partitions: number): Promise<void> {
  const t = topology(namespace);
  const prefix = `${namespace}.`;
  const [listedQueues, listedExchanges] = await Promise.all([
    brokerNames('queues', prefix),
    brokerNames('exchanges', prefix),
  ]);
  const partitionQueues = Array.from({ length: partitions }, (_, p) => t.inboundQueue(p));
  const queues = [...new Set([...partitionQueues, t.deadQueue, t.routerRpcQueue, ...listedQueues])];
  const exchanges = [
    ...new Set([t.inboundExchange, t.deadLetterExchange, t.deliveryExchange, t.eventsExchange, ...listedExchanges]),
  ];
  try {
    const conn = await amqp.connect(amqpUrl);
    for (const [kind, name] of [...queues.map((q) => ['q', q] as const), ...exchanges.map((e) => ['e', e] as const)]) {
      const ch = await conn.createChannel();
      ch.on('error', () => undefined);
      await (kind === 'q' ? ch.deleteQueue(name) : ch.deleteExchange(name)).catch(() => undefined);
      await ch.close().catch(() => undefined);
    }
    await conn.close();
  } catch {
    // broker gone: nothing to clean
  }
  // The run's database is left in place: on FerretDB v1 a dropDatabase can wait forever for the
  // pool of a database whose clients just died, holding a lock every other request then waits for
  // (seen here: the whole server stopped answering). Its name is in the report; drop it by hand.
}
