/**
 * Starts one of the services as a separate process (its built `dist/main.js`), waits for `/readyz`,
 * and stops it by its process id: SIGTERM (graceful) or SIGKILL (crash). Unless `env` chooses token
 * settings, the service uses the development secret that `tokenFor` signs with.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { testAuthEnv } from './tokens.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

export type ServiceName = 'gateway' | 'message-router' | 'presence' | 'feed' | 'web';

export interface ServiceProcess {
  name: ServiceName;
  port: number;
  child: ChildProcess;
  /** everything the process printed, for assertions and failure messages */
  output(): string;
  stop(): Promise<void>;
  kill(): Promise<void>;
}

const portVariable: Record<ServiceName, string> = {
  gateway: 'GATEWAY_PORT',
  'message-router': 'ROUTER_PORT',
  presence: 'PRESENCE_PORT',
  feed: 'FEED_PORT',
  web: 'WEB_PORT',
};

export async function startService(
  name: ServiceName,
  port: number,
  env: Record<string, string>,
  {
    readyTimeoutMs = 20_000,
    waitReady = true,
    nodeArgs = [],
  }: {
    readyTimeoutMs?: number;
    waitReady?: boolean;
    /** options for node itself, before the script (e.g. `--cpu-prof`, which NODE_OPTIONS may not carry) */
    nodeArgs?: string[];
  } = {},
): Promise<ServiceProcess> {
  const child = spawn(process.execPath, [...nodeArgs, path.join(ROOT, 'apps', name, 'dist', 'main.js')], {
    env: { ...process.env, LOG_LEVEL: 'warn', ...testAuthEnv(env), ...env, [portVariable[name]]: String(port) },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => (out += d.toString()));
  child.stderr?.on('data', (d: Buffer) => (out += d.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const signal = async (sig: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill(sig);
    const timer = setTimeout(() => child.kill('SIGKILL'), 12_000);
    await exited;
    clearTimeout(timer);
  };
  const proc: ServiceProcess = {
    name,
    port,
    child,
    output: () => out,
    stop: () => signal('SIGTERM'),
    kill: () => signal('SIGKILL'),
  };
  if (waitReady) {
    try {
      await waitForReady(proc, readyTimeoutMs);
    } catch (err) {
      await proc.kill(); // a process that never became ready must not outlive the test
      throw err;
    }
  }
  return proc;
}

export async function waitForReady(proc: ServiceProcess, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.child.exitCode !== null)
      throw new Error(`${proc.name} exited (${proc.child.exitCode}):\n${proc.output()}`);
    try {
      const res = await fetch(`http://127.0.0.1:${proc.port}/readyz`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${proc.name} not ready after ${timeoutMs} ms:\n${proc.output()}`);
}
