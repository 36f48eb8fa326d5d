/**
 * A RabbitMQ node of a test's or the fault suite's own: its own node name, AMQP and distribution ports,
 * data and log directories, Erlang cookie (in its HOME) and an empty plugin list, never the machine's broker.
 * Started from the installed RabbitMQ's own scripts (/usr/lib/rabbitmq/bin), as the user running the
 * suite. Several nodes with the same HOME share the cookie and can form a cluster.
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { type OwnedProcess, startOwned } from './owned-process.js';
import { freePort } from './ports.js';

const run = promisify(execFile);
const BIN = existsSync('/usr/lib/rabbitmq/bin/rabbitmq-server') ? '/usr/lib/rabbitmq/bin' : '';
const bin = (tool: string) => (BIN ? path.join(BIN, tool) : tool);

/** RabbitMQ's CLI tools take 35672–35682 for their own distribution; AMQP ports must not collide. */
async function nodePort(): Promise<number> {
  for (;;) {
    const p = await freePort();
    if (p < 35_600 || p > 35_700) return p;
  }
}

export class RabbitNode {
  process: OwnedProcess | undefined;

  private constructor(
    readonly node: string,
    readonly port: number,
    private readonly distPort: number,
    private readonly home: string,
    private readonly base: string,
  ) {}

  /** Prepares (does not start) a node `name` whose files live under `home/name`. */
  static async create(home: string, name: string): Promise<RabbitNode> {
    mkdirSync(home, { recursive: true });
    const cookie = path.join(home, '.erlang.cookie');
    if (!existsSync(cookie)) writeFileSync(cookie, `cc-faults-${Math.random().toString(36).slice(2)}`, { mode: 0o400 });
    const base = path.join(home, name);
    mkdirSync(base, { recursive: true });
    writeFileSync(path.join(base, 'enabled_plugins'), '[].\n');
    writeFileSync(path.join(base, 'rabbitmq.conf'), 'loopback_users = none\nlog.console = false\n');
    return new RabbitNode(`${name}@localhost`, await nodePort(), await nodePort(), home, base);
  }

  get amqpUrl(): string {
    return `amqp://guest:guest@127.0.0.1:${this.port}`;
  }

  get logFile(): string {
    return path.join(this.base, 'log', `${this.node}.log`);
  }

  async start(): Promise<OwnedProcess> {
    this.process = await startOwned({
      name: this.node.split('@')[0] ?? this.node,
      command: bin('rabbitmq-server'),
      args: [],
      env: {
        HOME: this.home,
        RABBITMQ_NODENAME: this.node,
        RABBITMQ_NODE_IP_ADDRESS: '127.0.0.1',
        RABBITMQ_NODE_PORT: String(this.port),
        RABBITMQ_DIST_PORT: String(this.distPort),
        RABBITMQ_MNESIA_BASE: path.join(this.base, 'mnesia'),
        RABBITMQ_LOG_BASE: path.join(this.base, 'log'),
        RABBITMQ_ENABLED_PLUGINS_FILE: path.join(this.base, 'enabled_plugins'),
        RABBITMQ_CONFIG_FILE: path.join(this.base, 'rabbitmq'),
        RABBITMQ_PID_FILE: path.join(this.base, 'pid'),
      },
      logFile: path.join(this.base, 'stdout.log'),
      ready: { tcp: this.port, timeoutMs: 120_000 },
    });
    return this.process;
  }

  /** rabbitmqctl (or another CLI tool) against this node, with its cookie. */
  async ctl(args: string[], tool = 'rabbitmqctl', timeoutMs = 60_000): Promise<string> {
    const { stdout } = await run(bin(tool), ['-n', this.node, ...args], {
      env: { ...process.env, HOME: this.home },
      timeout: timeoutMs,
    });
    return stdout;
  }

  /** Joins the cluster of `seed` (this node must be running). */
  async join(seed: RabbitNode): Promise<void> {
    await this.ctl(['stop_app']);
    await this.ctl(['join_cluster', seed.node]);
    await this.ctl(['start_app']);
  }

  /** Graceful stop (SIGTERM: the node shuts down cleanly), as an operator's restart does. */
  async stop(): Promise<void> {
    await this.process?.stop(60_000);
  }

  async kill(): Promise<void> {
    await this.process?.kill();
  }

  /** Stops the node and removes its data (its logs stay with the run's report). */
  async dispose(): Promise<void> {
    await this.stop();
    rmSync(path.join(this.base, 'mnesia'), { recursive: true, force: true });
  }
}
