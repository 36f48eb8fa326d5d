/**
 * A FerretDB (v1, PostgreSQL backend) of the fault suite's own on a free port, so the store can be
 * stalled (SIGSTOP), killed and restarted without touching the one other runs use. It shares the
 * PostgreSQL database scripts/infra.mjs prepared; the run's own MongoDB database keeps its data apart.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { freePort, type OwnedProcess, startOwned } from '@coffeechat/testkit';

export class FerretServer {
  process: OwnedProcess | undefined;

  private constructor(
    readonly port: number,
    private readonly binary: string,
    private readonly postgresUrl: string,
    private readonly dir: string,
  ) {}

  static async create(binary: string, postgresUrl: string, dir: string): Promise<FerretServer> {
    mkdirSync(dir, { recursive: true });
    return new FerretServer(await freePort(), binary, postgresUrl, dir);
  }

  /** The Mongo URL (a database name is set per run by the stack). */
  get url(): string {
    return `mongodb://127.0.0.1:${this.port}/coffeechat`;
  }

  async start(): Promise<OwnedProcess> {
    this.process = await startOwned({
      name: 'ferretdb',
      command: this.binary,
      args: [
        '--handler=postgresql',
        `--postgresql-url=${this.postgresUrl}`,
        `--listen-addr=127.0.0.1:${this.port}`,
        '--debug-addr=-',
        '--telemetry=disable',
        `--state-dir=${this.dir}`,
        '--log-level=warn',
      ],
      logFile: path.join(this.dir, 'ferretdb.log'),
      ready: { tcp: this.port },
    });
    return this.process;
  }

  async stop(): Promise<void> {
    await this.process?.stop();
  }
}
