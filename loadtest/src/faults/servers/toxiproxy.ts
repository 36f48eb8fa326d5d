/**
 * Toxiproxy (v2, built once from the Go module proxy by scripts/go-tools.mjs): one server per fault run
 * on a free port, and the few calls of its HTTP API the faults use. Each proxy sits between one
 * client (a service, or the load generator) and one server; cutting it drops every connection through it.
 */
import { freePort, type OwnedProcess, startOwned } from '@coffeechat/testkit';

export interface Toxic {
  type: 'latency' | 'bandwidth' | 'reset_peer' | 'timeout' | 'limit_data' | 'slow_close' | 'slicer';
  stream?: 'upstream' | 'downstream';
  toxicity?: number;
  attributes: Record<string, number>;
}

export interface Proxy {
  name: string;
  /** host:port the client connects to */
  listen: string;
  /** host:port of the real server */
  upstream: string;
}

export class Toxiproxy {
  private readonly proxies = new Map<string, Proxy>();

  private constructor(
    readonly process: OwnedProcess,
    private readonly api: string,
  ) {}

  static async start(binary: string, logDir: string): Promise<Toxiproxy> {
    const port = await freePort();
    const proc = await startOwned({
      name: 'toxiproxy',
      command: binary,
      args: ['-host', '127.0.0.1', '-port', String(port)],
      env: { LOG_LEVEL: 'info' },
      logFile: `${logDir}/toxiproxy.log`,
      ready: { tcp: port },
    });
    return new Toxiproxy(proc, `http://127.0.0.1:${port}`);
  }

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${this.api}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      signal: AbortSignal.timeout(10_000),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`toxiproxy ${method} ${path}: HTTP ${res.status} ${text}`);
    return text ? JSON.parse(text) : undefined;
  }

  /** A proxy in front of `upstream` (host:port) on a free local port; returns the port clients use. */
  async proxy(name: string, upstream: string): Promise<number> {
    const port = await freePort();
    const p: Proxy = { name, listen: `127.0.0.1:${port}`, upstream };
    await this.call('POST', '/proxies', { ...p, enabled: true });
    this.proxies.set(name, p);
    return port;
  }

  names(filter: (p: Proxy) => boolean = () => true): string[] {
    return [...this.proxies.values()].filter(filter).map((p) => p.name);
  }

  /** Disabled: every connection through it is closed and new ones are refused until it is enabled. */
  async setEnabled(names: readonly string[], enabled: boolean): Promise<void> {
    await Promise.all(names.map((n) => this.call('POST', `/proxies/${n}`, { enabled })));
  }

  /** Points a proxy at another server (a load balancer moving to a surviving node). */
  async retarget(name: string, upstream: string): Promise<void> {
    await this.call('POST', `/proxies/${name}`, { upstream });
    const p = this.proxies.get(name);
    if (p) p.upstream = upstream;
  }

  async addToxic(names: readonly string[], toxicName: string, toxic: Toxic): Promise<void> {
    await Promise.all(
      names.map((n) =>
        this.call('POST', `/proxies/${n}/toxics`, {
          name: toxicName,
          stream: toxic.stream ?? 'downstream',
          toxicity: toxic.toxicity ?? 1,
          type: toxic.type,
          attributes: toxic.attributes,
        }),
      ),
    );
  }

  async removeToxic(names: readonly string[], toxicName: string): Promise<void> {
    await Promise.all(names.map((n) => this.call('DELETE', `/proxies/${n}/toxics/${toxicName}`)));
  }
}
