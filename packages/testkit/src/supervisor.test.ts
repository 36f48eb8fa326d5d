/** `npm start`'s supervisor (scripts/supervisor.mjs) against real child processes. */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';

interface Supervised {
  readonly pid: number | undefined;
  readonly restarts: number;
  stop(graceMs?: number): Promise<void>;
}
interface SupervisorModule {
  restartDelayMs(failures: number, o?: { initialMs?: number; maxMs?: number }): number;
  supervise(o: {
    name: string;
    start: () => ChildProcess;
    log: (msg: string) => void;
    stableMs?: number;
    initialMs?: number;
    maxMs?: number;
  }): Supervised;
}

const modulePath = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../scripts/supervisor.mjs');
const load = async () => (await import(pathToFileURL(modulePath).href)) as SupervisorModule;
const node = (code: string) => () => spawn(process.execPath, ['-e', code], { stdio: 'ignore' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('supervisor', () => {
  it('doubles the delay with every quick failure, up to the ceiling', async () => {
    const { restartDelayMs } = await load();
    expect([1, 2, 3, 4, 10].map((n) => restartDelayMs(n))).toEqual([1000, 2000, 4000, 8000, 30_000]);
  });

  it('restarts a crashed service with backoff and says so; stop() ends it for good', async () => {
    const { supervise } = await load();
    const lines: string[] = [];
    const s = supervise({
      name: 'crasher',
      start: node('setTimeout(() => process.exit(3), 50)'),
      log: (m) => lines.push(m),
      initialMs: 100,
      maxMs: 400,
    });
    await sleep(1500);
    expect(s.restarts).toBeGreaterThanOrEqual(2);
    expect(lines[0]).toBe('crasher exited (code 3); restarting it in 0.1 s');
    expect(lines[2]).toBe('crasher exited (code 3); restarting it in 0.2 s');
    expect(lines).toContain(`crasher restarted (pid ${s.pid}, restart ${s.restarts})`);
    await s.stop();
    const after = s.restarts;
    await sleep(600);
    expect(s.restarts).toBe(after);
  });

  it('stops a running service with SIGTERM and does not restart it', async () => {
    const { supervise } = await load();
    const lines: string[] = [];
    const s = supervise({ name: 'steady', start: node('setInterval(() => {}, 1000)'), log: (m) => lines.push(m) });
    await sleep(200);
    const pid = s.pid as number;
    await s.stop();
    expect(() => process.kill(pid, 0)).toThrow();
    await sleep(200);
    expect(lines).toEqual([]);
  });
});
