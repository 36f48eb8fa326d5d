/**
 * Everything the browser app talks to, as separate processes on free ports in a fresh namespace: a
 * message-router, a gateway, presence, the feed, and the web app's own server pointed at them.
 */
import {
  freePort,
  mongoUrlFor,
  removeStackNamespace,
  type ServiceName,
  type ServiceProcess,
  serviceEnv,
  startService,
  TEST_JWT_SECRET,
  tokenFor,
  uniqueNamespace,
  waitForReady,
} from '@coffeechat/testkit';

const PARTITIONS = 4;

export class WebStack {
  private readonly processes: ServiceProcess[] = [];
  private readonly ports = new Map<ServiceName, number>();

  private constructor(readonly namespace: string) {}

  static async start(label: string): Promise<WebStack> {
    const stack = new WebStack(uniqueNamespace(label));
    try {
      await stack.launchAll();
    } catch (err) {
      await stack.stop();
      throw err;
    }
    return stack;
  }

  private async launchAll(): Promise<void> {
    const ns = this.namespace;
    const common = {
      ...serviceEnv(ns), // the router's database, dropped by removeStackNamespace
      ROUTER_PARTITIONS: String(PARTITIONS),
      JWT_SECRET: TEST_JWT_SECRET, // the development secret, chosen: the web app offers /dev/token
      LOG_LEVEL: 'warn',
    };
    // The router first: it declares the exchanges the others bind to.
    await this.launch('message-router', common);
    await Promise.all([
      this.launch('gateway', common),
      this.launch('presence', common),
      this.launch('feed', { ...common, MONGO_URL: mongoUrlFor(`${ns}f`) }),
    ]);
    await this.launch('web', {
      ...common,
      WEB_GATEWAY_URL: this.wsUrl,
      WEB_ROUTER_URL: this.url('message-router'),
      WEB_FEED_URL: this.url('feed'),
    });
  }

  private async launch(name: ServiceName, env: Record<string, string>): Promise<void> {
    const proc = await startService(name, await freePort(), env, { waitReady: false });
    this.processes.push(proc);
    await waitForReady(proc, 60_000);
    this.ports.set(name, proc.port);
  }

  url(name: ServiceName): string {
    const port = this.ports.get(name);
    if (port === undefined) throw new Error(`${name} is not running`);
    return `http://127.0.0.1:${port}`;
  }

  get wsUrl(): string {
    return `${this.url('gateway').replace('http:', 'ws:')}/ws`;
  }

  get webUrl(): string {
    return this.url('web');
  }

  /** An HTTP call to one of the services as `userId`. */
  async call(
    name: ServiceName,
    userId: string,
    method: string,
    path: string,
    body?: unknown,
    options: { admin?: boolean } = {},
  ): Promise<Response> {
    return fetch(`${this.url(name)}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${await tokenFor(userId, options)}`,
        'content-type': 'application/json',
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  }

  async json<T>(name: ServiceName, userId: string, method: string, path: string, body?: unknown): Promise<T> {
    const res = await this.call(name, userId, method, path, body, { admin: userId === 'ops' });
    if (!res.ok) throw new Error(`${method} ${path} → ${res.status} ${await res.text()}`);
    return (await res.json()) as T;
  }

  outputs(): string {
    return this.processes
      .map(
        (p) =>
          `--- ${p.name} (exit ${p.child.exitCode ?? p.child.signalCode ?? 'running'})\n${p.output().slice(-3000)}`,
      )
      .join('\n');
  }

  async stop(): Promise<void> {
    await Promise.all(this.processes.map((p) => p.stop()));
    await removeStackNamespace(this.namespace, PARTITIONS).catch(() => undefined);
  }
}
