/**
 * CoffeeChat as separate processes for the end-to-end suites: message-routers and gateways (their
 * built `dist/main.js`), and presence and feed when a suite asks for them, on free ports, in a fresh
 * namespace and database; torn down afterwards with everything they left (queues, exchanges, database,
 * Redis keys).
 */
import { CoffeeChatClient } from '@coffeechat/client';
import type { Room } from '@coffeechat/contracts';
import WebSocket from 'ws';
import { freePort } from './ports.js';
import { serviceEnv, uniqueNamespace } from './servers.js';
import { type ServiceName, type ServiceProcess, startService, waitForReady } from './service-process.js';
import { removeStackNamespace } from './stack-namespace.js';
import { tokenFor } from './tokens.js';

/** Starts a service and waits for /readyz; a process that never gets ready is killed, not left behind. */
async function launch(name: ServiceName, env: Record<string, string>): Promise<ServiceProcess> {
  const proc = await startService(name, await freePort(), env, { waitReady: false });
  try {
    await waitForReady(proc, 40_000);
  } catch (err) {
    await proc.kill();
    throw err;
  }
  return proc;
}

export interface StoredSummary {
  seq: number;
  clientMsgId: string;
  senderId: string;
}

export interface ChatStackOptions {
  label: string;
  /** a namespace the suite prepared (e.g. broker users for it); a fresh one named after `label` otherwise */
  namespace?: string;
  routers?: number;
  gateways?: number;
  partitions?: number;
  /** extra settings for every service of the stack (e.g. where to export spans) */
  env?: Record<string, string>;
  /** extra settings per gateway index */
  gatewayEnv?: (index: number) => Record<string, string>;
}

export class ChatStack {
  readonly routers: ServiceProcess[] = [];
  readonly gateways: ServiceProcess[] = [];
  /** presence and feed replicas, when the suite started them */
  readonly others: ServiceProcess[] = [];
  private readonly clients: CoffeeChatClient[] = [];

  private constructor(
    readonly namespace: string,
    readonly partitions: number,
    readonly env: Record<string, string>,
  ) {}

  static async start(options: ChatStackOptions): Promise<ChatStack> {
    const namespace = options.namespace ?? uniqueNamespace(options.label);
    const partitions = options.partitions ?? 4;
    const stack = new ChatStack(namespace, partitions, {
      ...serviceEnv(namespace),
      ROUTER_PARTITIONS: String(partitions),
      LOG_LEVEL: 'warn',
      ...options.env,
    });
    try {
      for (let i = 0; i < (options.routers ?? 2); i++) await stack.startRouter();
      const gateways = await Promise.all(
        Array.from({ length: options.gateways ?? 2 }, (_, i) => stack.spawnGateway(options.gatewayEnv?.(i) ?? {})),
      );
      stack.gateways.push(...gateways); // in index order, whichever became ready first
    } catch (err) {
      await stack.stop();
      throw err;
    }
    return stack;
  }

  async startRouter(env: Record<string, string> = {}): Promise<ServiceProcess> {
    const router = await launch('message-router', { ...this.env, ...env });
    this.routers.push(router);
    return router;
  }

  async startGateway(env: Record<string, string> = {}): Promise<ServiceProcess> {
    const gateway = await this.spawnGateway(env);
    this.gateways.push(gateway);
    return gateway;
  }

  private async spawnGateway(env: Record<string, string>): Promise<ServiceProcess> {
    return launch('gateway', { ...this.env, ...env });
  }

  /** A presence or feed replica on this stack's servers (same namespace, same database). */
  async startService(name: 'presence' | 'feed', env: Record<string, string> = {}): Promise<ServiceProcess> {
    const proc = await launch(name, { ...this.env, ...env });
    this.others.push(proc);
    return proc;
  }

  wsUrl(gateway = 0): string {
    const g = this.gateways[gateway];
    if (!g) throw new Error(`no gateway ${gateway}`);
    return `ws://127.0.0.1:${g.port}/ws`;
  }

  /** A router still running, for HTTP calls. */
  private routerUrl(): string {
    const r = this.routers.find((p) => p.child.exitCode === null && p.child.signalCode === null);
    if (!r) throw new Error('no router running');
    return `http://127.0.0.1:${r.port}`;
  }

  async admin(method: string, path: string, body?: unknown): Promise<Response> {
    return this.http(await tokenFor('ops', { admin: true }), method, path, body);
  }

  /** A call to the router's HTTP API (or, with `port`, another service's). */
  async http(token: string, method: string, path: string, body?: unknown, port?: number): Promise<Response> {
    const base = port === undefined ? this.routerUrl() : `http://127.0.0.1:${port}`;
    return fetch(`${base}${path}`, {
      method,
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
  }

  async createRoom(memberIds: string[], roomId?: string): Promise<Room> {
    const res = await this.admin('POST', '/rooms', { memberIds, ...(roomId ? { roomId } : {}) });
    if (res.status !== 201) throw new Error(`POST /rooms → ${res.status} ${await res.text()}`);
    return (await res.json()) as Room;
  }

  /** The room's stored messages as a member reads them over HTTP. */
  async history(roomId: string, memberId: string): Promise<StoredSummary[]> {
    const token = await tokenFor(memberId);
    const out: StoredSummary[] = [];
    for (let after = 0; ; ) {
      const res = await this.http(token, 'GET', `/rooms/${roomId}/messages?afterSeq=${after}&limit=200`);
      if (res.status !== 200) throw new Error(`GET messages → ${res.status} ${await res.text()}`);
      const page = (await res.json()) as { messages: StoredSummary[]; hasMore: boolean };
      out.push(...page.messages);
      const last = page.messages.at(-1);
      if (!page.hasMore || !last) return out;
      after = last.seq;
    }
  }

  /** A connected SDK client for `userId` on gateway `gateway`; closed by `stop()`. */
  async client(userId: string, gateway = 0, options: { ackTimeoutMs?: number } = {}): Promise<CoffeeChatClient> {
    const client = new CoffeeChatClient({
      url: this.wsUrl(gateway),
      token: () => tokenFor(userId),
      WebSocket,
      backoff: { initialMs: 100, maxMs: 1000 },
      ...options,
    });
    this.clients.push(client);
    await client.connect();
    return client;
  }

  /** Every process's output, for a failing test's message. */
  outputs(): string {
    return [...this.routers, ...this.gateways, ...this.others]
      .map(
        (p) =>
          `--- ${p.name} :${p.port} (exit ${p.child.exitCode ?? p.child.signalCode ?? 'running'})\n${p.output().slice(-4000)}`,
      )
      .join('\n');
  }

  async stop(): Promise<void> {
    for (const c of this.clients) c.close();
    await Promise.all([...this.gateways, ...this.others, ...this.routers].map((p) => p.stop()));
    await removeStackNamespace(this.namespace, this.partitions).catch(() => undefined);
  }
}

/** Resolves with the first value `pick` returns for an event of `client`. */
export function nextEvent<K extends keyof import('@coffeechat/client').ClientEvents, T>(
  client: CoffeeChatClient,
  event: K,
  pick: (payload: import('@coffeechat/client').ClientEvents[K]) => T | undefined,
  timeoutMs = 10_000,
): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      off();
      reject(new Error(`no ${String(event)} event in ${timeoutMs} ms`));
    }, timeoutMs);
    const off = client.on(event, (payload) => {
      const value = pick(payload);
      if (value === undefined) return;
      clearTimeout(timer);
      off();
      resolve(value);
    });
  });
}
