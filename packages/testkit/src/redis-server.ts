/**
 * A redis-server of a test's or fault run's own on a free port, without persistence (as caches usually
 * run): stopping and starting it again loses everything, as a restarted cache does. Never the machine's.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { type OwnedProcess, startOwned } from './owned-process.js';
import { freePort } from './ports.js';

export class RedisServer {
  process: OwnedProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly dir: string,
  ) {}

  static async create(dir: string): Promise<RedisServer> {
    mkdirSync(dir, { recursive: true });
    return new RedisServer(await freePort(), dir);
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  async start(): Promise<OwnedProcess> {
    this.process = await startOwned({
      name: 'redis',
      command: 'redis-server',
      args: ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', this.dir],
      logFile: path.join(this.dir, 'redis.log'),
      ready: { tcp: this.port },
    });
    return this.process;
  }

  async stop(): Promise<void> {
    await this.process?.stop();
  }
}
