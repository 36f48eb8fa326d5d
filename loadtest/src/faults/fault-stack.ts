/**
 * The four CoffeeChat services as separate processes (two gateways, the routers, presence, feed), each
 * on a free port with the run's own namespace and database. Where a fault needs it, every service
 * reaches each server through a toxiproxy proxy of its own, and the clients reach each gateway through
 * one too, so a cut, latency or reset can be put exactly between two named parties.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { topology } from '@coffeechat/contracts';
import { freePort, uniqueNamespace, withMongoDatabase } from '@coffeechat/testkit';
import { type InfraUrls, removeNamespace } from '../stack/coffeechat-stack.js';
import { type ServiceProcess, spawnService, waitReady } from '../stack/service-process.js';
import type { Toxiproxy } from './servers/toxiproxy.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export type ServiceKind = 'gateway' | 'router' | 'presence' | 'feed';
/** which links go through toxiproxy: service→RabbitMQ, service→Redis, service→store, client→gateway */
export type Link = 'amqp' | 'redis' | 'mongo' | 'clients';

const APPS: Record<ServiceKind, { app: string; portEnv: string }> = {
  gateway: { app: 'gateway', portEnv: 'GATEWAY_PORT' },
  router: { app: 'message-router', portEnv: 'ROUTER_PORT' },
  presence: { app: 'presence', portEnv: 'PRESENCE_PORT' },
  feed: { app: 'feed', portEnv: 'FEED_PORT' },
};

/** which servers each service talks to (the gateway keeps nothing in the store) */
const USES: Record<ServiceKind, Link[]> = {
  gateway: ['amqp', 'redis'],
  router: ['amqp', 'redis', 'mongo'],
  presence: ['amqp', 'redis'],
  feed: ['amqp', 'redis', 'mongo'],
};

export interface FaultStackOptions {
  gateways: number;
  routers: number;
  partitions: number;
  infra: InfraUrls;
  jwtSecret: string;
  toxiproxy?: Toxiproxy;
  proxied: readonly Link[];
  /** each service's whole output goes to `<logDir>/<name>.log` */
  logDir: string;
  /** `--profile`: a V8 CPU profile of every service start here, when it exits */
  profileDir?: string;
}

interface Instance {
  name: string;
  kind: ServiceKind;
  port: number;
  env: Record<string, string>;
  proc: ServiceProcess;
  /** the client-facing proxy port of a gateway, when clients go through toxiproxy */
  frontPort?: number;
}

const hostPort = (url: string) => {
  const u = new URL(url.replace(/^(amqp|redis|mongodb)/, 'http'));
  return `${u.hostname}:${u.port}`;
};

/** `url` with its host:port replaced by 127.0.0.1:port (credentials, path and query kept). */
function viaPort(url: string, port: number): string {
  return url.replace(/\/\/([^/@]*@)?[^/?]+/, (_m, auth: string | undefined) => `//${auth ?? ''}127.0.0.1:${port}`);
}

export class FaultStack {
  readonly namespace = uniqueNamespace('faults');
  readonly database = `faults_${this.namespace}`;
  private readonly instances: Instance[] = [];

  private constructor(private readonly o: FaultStackOptions) {}

  static async start(o: FaultStackOptions): Promise<FaultStack> {
    const s = new FaultStack(o);
    try {
      // routers first: they declare the partition queues the gateways publish into
      for (let i = 0; i < o.routers; i++) await s.add('router', i);
      await s.add('presence', 0);
      await s.add('feed', 0);
      for (let i = 0; i < o.gateways; i++) await s.add('gateway', i);
    } catch (err) {
      await s.stop();
      throw err;
    }
    return s;
  }

  private async serverUrl(name: string, link: Link): Promise<string> {
    const direct =
      link === 'amqp'
        ? this.o.infra.amqp
        : link === 'redis'
          ? this.o.infra.redis
          : withMongoDatabase(this.o.infra.mongo, this.database);
    if (!this.o.toxiproxy || !this.o.proxied.includes(link)) return direct;
    const port = await this.o.toxiproxy.proxy(`${link}-${name}`, hostPort(direct));
    return viaPort(direct, port);
  }

  private async add(kind: ServiceKind, i: number): Promise<void> {
    const name = `${kind}-${i}`;
    const port = await freePort();
    const env: Record<string, string> = {
      CC_NAMESPACE: this.namespace,
      ROUTER_PARTITIONS: String(this.o.partitions),
      JWT_SECRET: this.o.jwtSecret,
      [APPS[kind].portEnv]: String(port),
    };
    const uses = USES[kind];
    env.AMQP_URL = await this.serverUrl(name, 'amqp');
    if (uses.includes('redis')) env.REDIS_URL = await this.serverUrl(name, 'redis');
    if (uses.includes('mongo')) env.MONGO_URL = await this.serverUrl(name, 'mongo');
    const inst: Instance = { name, kind, port, env, proc: await this.spawn(name, kind, port, env) };
    if (kind === 'gateway' && this.o.toxiproxy && this.o.proxied.includes('clients')) {
      inst.frontPort = await this.o.toxiproxy.proxy(`clients-${name}`, `127.0.0.1:${port}`);
    }
    this.instances.push(inst);
  }

  private spawn(name: string, kind: ServiceKind, port: number, env: Record<string, string>): Promise<ServiceProcess> {
    return spawnService({
      name,
      script: path.join(ROOT, 'apps', APPS[kind].app, 'dist', 'main.js'),
      port,
      env: { ...env, LOG_LEVEL: 'info' },
      readyTimeoutMs: 60_000,
      logFile: path.join(this.o.logDir, `${name}.log`),
      ...(this.o.profileDir
        ? {
            nodeArgs: [
              '--cpu-prof',
              `--cpu-prof-dir=${this.o.profileDir}`,
              `--cpu-prof-name=${name}-${Date.now()}.cpuprofile`,
            ],
          }
        : {}),
    });
  }

  get partitions(): number {
    return this.o.partitions;
  }

  private get(name: string): Instance {
    const inst = this.instances.find((x) => x.name === name);
    if (!inst) throw new Error(`no service ${name} in this stack`);
    return inst;
  }

  names(kind?: ServiceKind): string[] {
    return this.instances.filter((x) => !kind || x.kind === kind).map((x) => x.name);
  }

  /** The WebSocket URL clients use for each gateway (through its proxy when clients are proxied). */
  gatewayUrls(): string[] {
    return this.instances.filter((x) => x.kind === 'gateway').map((x) => `ws://127.0.0.1:${x.frontPort ?? x.port}/ws`);
  }

  routerUrl(): string {
    const r = this.instances.find((x) => x.kind === 'router' && !x.proc.exited) ?? this.get('router-0');
    return `http://127.0.0.1:${r.port}`;
  }

  port(name: string): number {
    return this.get(name).port;
  }

  processes(): { name: string; pid: number }[] {
    return this.instances.map((x) => ({ name: x.name, pid: x.proc.pid }));
  }

  partitionQueues(): string[] {
    const t = topology(this.namespace);
    return Array.from({ length: this.o.partitions }, (_, p) => t.inboundQueue(p));
  }

  /** kill -9: a crash. */
  async kill(name: string): Promise<void> {
    await this.get(name).proc.kill();
  }

  /** SIGTERM; resolves with the seconds the process took to exit (SPEC: within 10 s; SIGKILL after 12 s). */
  async terminate(name: string): Promise<number> {
    const t0 = performance.now();
    await this.get(name).proc.stop();
    return Math.round((performance.now() - t0) / 100) / 10;
  }

  /** Starts the service again on its port with the same settings; resolves when it is ready. */
  async restart(name: string): Promise<{ name: string; pid: number }> {
    const inst = this.get(name);
    inst.proc = await this.spawn(name, inst.kind, inst.port, inst.env);
    return { name, pid: inst.proc.pid };
  }

  /** Resolves once every service answers /readyz with 200 again (e.g. after its broker connection moved). */
  async waitReady(timeoutMs = 60_000): Promise<void> {
    await Promise.all(this.instances.map((x) => waitReady(x.proc, '/readyz', timeoutMs)));
  }

  /** The proxies of `link` (of every service using it, or of the clients); empty without toxiproxy. */
  proxies(link: Link): string[] {
    return this.o.toxiproxy?.names((p) => p.name.startsWith(`${link}-`)) ?? [];
  }

  async stop(): Promise<void> {
    const gateways = this.instances.filter((x) => x.kind === 'gateway');
    await Promise.all(gateways.map((g) => g.proc.stop()));
    await Promise.all(this.instances.filter((x) => x.kind !== 'gateway').map((x) => x.proc.stop()));
  }

  /** Removes the run's queues and exchanges from a broker that outlives the run. */
  async cleanup(amqpUrl: string): Promise<void> {
    await removeNamespace(amqpUrl, this.namespace, this.o.partitions);
  }
}
