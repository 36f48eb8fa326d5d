/**
 * A measured server as a separate process: started through `sh -c 'ulimit -n …; exec node …'` so
 * it may hold tens of thousands of sockets (the shell is replaced, the pid is node's), ready when
 * its health URL answers 200, stopped by its pid. Output is kept as a bounded tail for errors.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';

export interface ServiceProcess {
  readonly name: string;
  readonly port: number;
  readonly pid: number;
  readonly exited: boolean;
  tail(): string;
  /** SIGTERM, then SIGKILL after 12 s */
  stop(): Promise<void>;
  /** SIGKILL: a crash */
  kill(): Promise<void>;
}

export interface SpawnOptions {
  name: string;
  script: string;
  port: number;
  env: Record<string, string>;
  /** GET this path until it answers 200 */
  readyPath?: string;
  readyTimeoutMs?: number;
  /** open-file limit asked for (falls back to the hard limit when not allowed) */
  fdLimit?: number;
  /** options for node itself, before the script (e.g. `--cpu-prof`) */
  nodeArgs?: string[];
  /** every line of output is also appended here (the tail kept in memory is bounded) */
  logFile?: string;
}

const TAIL_BYTES = 32 * 1024;

/** every server process started and not yet exited, so an interrupted run can stop them */
const live = new Set<ChildProcess>();

/** Kills every server this process started (Ctrl-C, SIGTERM): no run leaves servers behind. */
export function killAllServices(): void {
  for (const child of live) child.kill('SIGKILL');
}

export async function spawnService(o: SpawnOptions): Promise<ServiceProcess> {
  const fd = o.fdLimit ?? 65_536;
  const child: ChildProcess = spawn(
    '/bin/sh',
    [
      '-c',
      `ulimit -n ${fd} 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null; exec "$0" "$@"`,
      process.execPath,
      ...(o.nodeArgs ?? []),
      o.script,
    ],
    { env: { ...process.env, LOG_LEVEL: 'warn', ...o.env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  live.add(child);
  child.once('exit', () => live.delete(child));
  let out = '';
  const log = o.logFile ? createWriteStream(o.logFile, { flags: 'a' }) : undefined;
  child.once('exit', () => log?.end());
  const keep = (d: Buffer) => {
    log?.write(d);
    out += d.toString();
    if (out.length > TAIL_BYTES * 2) out = out.slice(-TAIL_BYTES);
  };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const isDone = () => child.exitCode !== null || child.signalCode !== null;
  const signal = async (sig: NodeJS.Signals) => {
    if (isDone()) return;
    child.kill(sig);
    const timer = setTimeout(() => child.kill('SIGKILL'), 12_000);
    await exited;
    clearTimeout(timer);
  };
  const proc: ServiceProcess = {
    name: o.name,
    port: o.port,
    pid: child.pid ?? -1,
    get exited() {
      return isDone();
    },
    tail: () => out.slice(-TAIL_BYTES),
    stop: () => signal('SIGTERM'),
    kill: () => signal('SIGKILL'),
  };
  try {
    await waitReady(proc, o.readyPath ?? '/readyz', o.readyTimeoutMs ?? 30_000);
  } catch (err) {
    await proc.kill();
    throw err;
  }
  return proc;
}

/** Resolves once the process answers `readyPath` with 200; throws when it exited or after `timeoutMs`. */
export async function waitReady(proc: ServiceProcess, readyPath: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exited) throw new Error(`${proc.name} exited during start-up:\n${proc.tail()}`);
    try {
      const res = await fetch(`http://127.0.0.1:${proc.port}${readyPath}`);
      if (res.status === 200) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${proc.name} not ready after ${timeoutMs} ms:\n${proc.tail()}`);
}
