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

/** utime + stime from /proc/<pid>/stat; the command name may hold spaces and parentheses. */
export function parseStatTicks(stat: string): number {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state); utime and stime are fields 14 and 15
  return Number(rest[11]) + Number(rest[12]);
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

/** The shared servers on this machine by executable name: RabbitMQ's VM, Redis, FerretDB. */
export function findInfraProcesses(): { name: string; pid: number }[] {
  const wanted: Record<string, string> = {
    'beam.smp': 'rabbitmq',
    'redis-server': 'redis',
    ferretdb: 'ferretdb',
    mongod: 'mongod',
  };
  const out: { name: string; pid: number }[] = [];
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc').filter((e) => /^\d+$/.test(e));
  } catch {
    return out;
  }
  for (const e of entries) {
    try {
      const comm = readFileSync(`/proc/${e}/comm`, 'utf8').trim();
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
