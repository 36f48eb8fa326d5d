/**
 * A server process a test or the fault suite starts itself (toxiproxy, redis-server, FerretDB, a RabbitMQ node):
 * its own process group, so a signal reaches the whole tree (a RabbitMQ node is a shell script and
 * an Erlang VM); output appended to a log file; ready when its TCP port accepts. Only processes
 * started here are ever signalled, by their group id.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import net from 'node:net';

export interface OwnedOptions {
  name: string;
  command: string;
  args: string[];
  env?: Record<string, string>;
  cwd?: string;
  logFile: string;
  ready: { tcp: number; timeoutMs?: number };
}

export interface OwnedProcess {
  readonly name: string;
  /** the group leader's pid (the process spawned) */
  readonly pid: number;
  readonly exited: boolean;
  readonly logFile: string;
  signal(sig: NodeJS.Signals): void;
  /** SIGTERM to the group, SIGKILL after `graceMs`; resolves when it exited */
  stop(graceMs?: number): Promise<void>;
  /** SIGKILL to the group: a crash */
  kill(): Promise<void>;
}

const live = new Set<ChildProcess>();

/** Kills every server this process started (Ctrl-C): no fault run leaves servers behind. */
export function killAllOwned(): void {
  for (const child of live) if (child.pid) signalGroup(child.pid, 'SIGKILL');
}

function signalGroup(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(-pid, sig);
  } catch {
    // already gone
  }
}

export function tcpAccepts(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

export async function startOwned(o: OwnedOptions): Promise<OwnedProcess> {
  const fd = openSync(o.logFile, 'a');
  const child = spawn(o.command, o.args, {
    env: { ...process.env, ...o.env },
    cwd: o.cwd,
    stdio: ['ignore', fd, fd],
    detached: true,
  });
  closeSync(fd);
  live.add(child);
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.once('exit', () => live.delete(child));
  child.once('error', () => live.delete(child));
  const isDone = () => child.exitCode !== null || child.signalCode !== null;
  const pid = child.pid ?? -1;
  const stopWith = async (sig: NodeJS.Signals, graceMs: number) => {
    if (isDone()) return;
    signalGroup(pid, sig);
    const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
  const proc: OwnedProcess = {
    name: o.name,
    pid,
    logFile: o.logFile,
    get exited() {
      return isDone();
    },
    signal: (sig) => signalGroup(pid, sig),
    stop: (graceMs = 15_000) => stopWith('SIGTERM', graceMs),
    kill: () => stopWith('SIGKILL', 5_000),
  };
  const deadline = Date.now() + (o.ready.timeoutMs ?? 60_000);
  while (!(await tcpAccepts(o.ready.tcp))) {
    if (isDone() || Date.now() > deadline) {
      await proc.kill();
      throw new Error(`${o.name} did not accept on port ${o.ready.tcp}; see ${o.logFile}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return proc;
}
