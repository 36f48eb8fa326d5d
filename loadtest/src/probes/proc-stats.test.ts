import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { parseStatFamily, parseStatTicks, parseStatusRss, readProc, readProcTree } from './proc-stats.js';

describe('procfs parsing', () => {
  it('reads utime + stime even when the command name has spaces and parentheses', () => {
    const stat = '1234 (node (x) y) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 0 0 20 0 11 0 500 1000 200';
    expect(parseStatTicks(stat)).toBe(300);
  });

  it('reads VmRSS in bytes', () => {
    expect(parseStatusRss('Name:\tnode\nVmRSS:\t   2048 kB\nThreads:\t7\n')).toBe(2048 * 1024);
    expect(parseStatusRss('Name:\tkthread\n')).toBe(0);
  });

  it('reads the parent pid and the CPU of reaped children', () => {
    const stat = '1234 (postgres) S 77 1234 1234 0 -1 4194560 100 0 0 0 250 50 40 2 20 0 11 0 500 1000 200';
    expect(parseStatFamily(stat)).toEqual({ ppid: 77, reapedTicks: 42 });
  });

  it('reads a process with its children (RSS of both, CPU never below its own)', async () => {
    const child = spawn('sleep', ['5']);
    await new Promise((r) => setTimeout(r, 100));
    try {
      const own = readProc(process.pid);
      const tree = readProcTree(process.pid);
      expect(tree?.rssBytes).toBeGreaterThan(own?.rssBytes ?? 0);
      expect(tree?.cpuTicks).toBeGreaterThanOrEqual(own?.cpuTicks ?? 0);
    } finally {
      child.kill();
    }
  });

  it('reads this process', () => {
    const r = readProc(process.pid);
    expect(r?.rssBytes).toBeGreaterThan(0);
    expect(readProc(2 ** 22 + 7)).toBeUndefined();
  });
});

describe('TcpExt counters', () => {
  it('pairs the header line with the values line', async () => {
    const { parseTcpExt } = await import('./netstat.js');
    const text = 'TcpExt: SyncookiesSent ListenOverflows ListenDrops\nTcpExt: 1 20 20\nIpExt: InNoRoutes\nIpExt: 0\n';
    expect(parseTcpExt(text)).toEqual({ SyncookiesSent: 1, ListenOverflows: 20, ListenDrops: 20 });
  });
});
