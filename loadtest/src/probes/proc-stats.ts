/**
 * CPU time and resident memory of a process from Linux procfs (`/proc/<pid>/stat` and `status`).
 * The parsers are pure; `readProc` does the I/O.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

export interface ProcReading {
  /** user + system CPU time in clock ticks */
  cpuTicks: number;
  rssBytes: number;
}

/** The fields after the command name (which may hold spaces and parentheses); [0] is field 3 (state). */
const statFields = (stat: string) => stat.slice(stat.lastIndexOf(')') + 2).split(' ');

/** utime + stime from /proc/<pid>/stat. */
export function parseStatTicks(stat: string): number {
  const rest = statFields(stat);
  // utime and stime are fields 14 and 15
  return Number(rest[11]) + Number(rest[12]);
}

/** The parent pid, and the CPU of children that exited and were reaped (cutime + cstime, fields 16 and 17). */
export function parseStatFamily(stat: string): { ppid: number; reapedTicks: number } {
  const rest = statFields(stat);
  return { ppid: Number(rest[1]), reapedTicks: Number(rest[13]) + Number(rest[14]) };
}

export function parseStatusRss(status: string): number {
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

export function readProc(pid: number): ProcReading | undefined {
  try {
    return {
      cpuTicks: parseStatTicks(readFileSync(`/proc/${pid}/stat`, 'utf8')),
      rssBytes: parseStatusRss(readFileSync(`/proc/${pid}/status`, 'utf8')),
    };
  } catch {
    return undefined; // gone (or not Linux)
  }
}

/**
 * A server made of a parent and short- or long-lived children (PostgreSQL: the postmaster and one
 * backend per connection): its own CPU, that of its children that ended, and that of those alive, so the
 * total only grows; RSS is summed (shared memory is counted once per process that touched it).
 */
export function readProcTree(pid: number): ProcReading | undefined {
  let statText: string;
  try {
    statText = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  const own = readProc(pid);
  if (!own) return undefined;
  let cpuTicks = own.cpuTicks + parseStatFamily(statText).reapedTicks;
  let rssBytes = own.rssBytes;
  for (const entry of listPids()) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const family = parseStatFamily(stat);
      if (family.ppid !== pid) continue;
      cpuTicks += parseStatTicks(stat) + family.reapedTicks;
      rssBytes += parseStatusRss(readFileSync(`/proc/${entry}/status`, 'utf8'));
    } catch {
      // exited while listing: its CPU moves to the parent's reaped total
    }
  }
  return { cpuTicks, rssBytes };
}

function listPids(): string[] {
  try {
    return readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return [];
  }
}

let clockTicks: number | undefined;
export function ticksPerSecond(): number {
  if (clockTicks === undefined) {
    try {
      clockTicks = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      clockTicks = 100;
    }
  }
  return clockTicks;
}

/**
 * The shared servers on this machine by executable name: RabbitMQ's VM, Redis, FerretDB, MongoDB, and
 * PostgreSQL (its postmaster, measured with its backends: `tree`).
 */
export function findInfraProcesses(): { name: string; pid: number; tree?: boolean }[] {
  const wanted: Record<string, string> = {
    'beam.smp': 'rabbitmq',
    'redis-server': 'redis',
    ferretdb: 'ferretdb',
    mongod: 'mongod',
  };
  const out: { name: string; pid: number; tree?: boolean }[] = [];
  const entries = listPids();
  const comms = new Map<string, string>();
  for (const e of entries) {
    try {
      comms.set(e, readFileSync(`/proc/${e}/comm`, 'utf8').trim());
    } catch {
      // exited while listing
    }
  }
  for (const [e, comm] of comms) {
    if (comm !== 'postgres') continue;
    try {
      const { ppid } = parseStatFamily(readFileSync(`/proc/${e}/stat`, 'utf8'));
      if (comms.get(String(ppid)) === 'postgres') continue; // a backend: counted with its postmaster
      const port = /-p\s*(\d+)|port=(\d+)/.exec(readFileSync(`/proc/${e}/cmdline`, 'utf8').replace(/\0/g, ' '));
      const taken = out.some((o) => o.name.startsWith('postgres'));
      out.push({ name: taken ? `postgres:${port?.[1] ?? port?.[2] ?? e}` : 'postgres', pid: Number(e), tree: true });
    } catch {
      // exited while listing
    }
  }
  for (const e of entries) {
    try {
      const comm = comms.get(e) ?? '';
      const base = wanted[comm];
      if (!base) continue;
      // several servers of one kind (another FerretDB for a bench, say): name them by their port
      const port = /--listen-addr=\S*:(\d+)|--port[= ](\d+)|:(\d+)\s*$/.exec(
        readFileSync(`/proc/${e}/cmdline`, 'utf8').replace(/\0/g, ' '),
      );
      const suffix = port ? (port[1] ?? port[2] ?? port[3]) : e;
      const name =
        out.some((o) => o.name === base || o.name.startsWith(`${base}:`)) || port ? `${base}:${suffix}` : base;
      out.push({ name, pid: Number(e) });
    } catch {
      // exited while listing
    }
  }
  return out;
}
