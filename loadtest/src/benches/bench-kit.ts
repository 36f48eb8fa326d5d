/**
 * What the single-service benchmarks (`npm run bench -- feed-cache`, `feed-rebuild`) share: their
 * `--name=value` numbers, the feed processes they start on a namespace of their own, the machine they ran
 * on, the JSON report under loadtest/reports/, and the exit code.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  freePort,
  removeFeedNamespace,
  type ServiceProcess,
  serviceEnv,
  startService,
  uniqueNamespace,
} from '@coffeechat/testkit';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const REPORTS = path.join(ROOT, 'loadtest', 'reports');

/** `--name=<positive number>` from the command line, or `fallback`. */
export function positiveArg(name: string, fallback: number): number {
  const raw = process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
  const n = raw === undefined ? fallback : Number(raw);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
  return n;
}

/** `--name=<positive whole number>` (a count: records, posts, rounds, connections), or `fallback`. */
export function countArg(name: string, fallback: number): number {
  const n = positiveArg(name, fallback);
  if (!Number.isInteger(n)) throw new Error(`--${name} must be a whole number`);
  return n;
}

/**
 * Feed processes (apps/feed/dist) on one fresh namespace and database (`ns`), on the test servers;
 * `stop` stops every one started and removes the namespace (Redis keys, database, broker objects).
 */
export function feedProcesses(label: string) {
  const ns = uniqueNamespace(label);
  const started: ServiceProcess[] = [];
  return {
    ns,
    async start(env: Record<string, string>, options?: Parameters<typeof startService>[3]): Promise<ServiceProcess> {
      const feed = await startService('feed', await freePort(), { ...serviceEnv(ns), ...env }, options);
      started.push(feed);
      return feed;
    },
    async stop(): Promise<void> {
      for (const feed of started) await feed.stop();
      await removeFeedNamespace(ns);
    },
  };
}

/** The machine, with the load average when the run started (`loadAvgAtStart`) and now. */
export function machine(loadAvgAtStart: number[]) {
  return {
    cpus: os.cpus().length,
    model: os.cpus()[0]?.model,
    loadAvgAtStart,
    loadAvgAtEnd: os.loadavg(),
    node: process.version,
  };
}

/** Writes `report` as loadtest/reports/<scenario>-<at>.json; returns the path. */
export function writeJsonReport(report: { scenario: string; at: string }): string {
  mkdirSync(REPORTS, { recursive: true });
  const file = path.join(REPORTS, `${report.scenario}-${report.at.replaceAll(':', '-').replaceAll('.', '-')}.json`);
  writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
  return file;
}

/** Runs `main` and exits: 0 when it ran, 1 (with the error) when it failed. */
export function runBench(main: () => Promise<void>): void {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
}
