#!/usr/bin/env node
/**
 * `npm run faults -- [fault|all|ci|list] [--name=value …]`: runs each fault under the smoke load and
 * writes loadtest/reports/faults-<timestamp>/<fault>-<timestamp>.{json,md,svg}, the services' and
 * servers' logs, and summary.md (the table of every fault run). Exit code 0 when every target was met.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { killAllOwned } from '@coffeechat/testkit';
import { loadConfig } from '../config.js';
import { applyParams, BASE_PARAMS, type LoadParams, ParamError } from '../params.js';
import { machineInfo } from '../probes/machine.js';
import { findInfraProcesses } from '../probes/proc-stats.js';
import { REPORTS_DIR, writeReport } from '../report/write.js';
import { createContext } from '../scenarios/context.js';
import { killAllServices } from '../stack/service-process.js';
import { stopOnInterrupt } from '../stack/stop-on-interrupt.js';
import { FAULTS } from './catalog.js';
import type { FaultDef } from './fault.js';
import { overload, reconnectStorm } from './load-faults.js';
import { runFault } from './run-fault.js';
import { type FaultRow, summaryTable } from './summary.js';

const ALL: FaultDef[] = [...FAULTS, reconnectStorm, overload];

/** The smoke workload at a quarter of its rate (25 messages/s, 100 deliveries/s), one fault in a 45 s run. */
export const FAULT_DEFAULTS: LoadParams = {
  ...BASE_PARAMS,
  rooms: 50,
  ratePerRoom: 0.5,
  gateways: 2,
  routers: 1,
  durationSec: 45,
  killAtSec: 15,
  downSec: 10,
  drainSec: 30,
  warmupSec: 3,
  connectPerSec: 200,
};

/** The CI subset: short runs of the gateway kill and the broker cut. */
const CI = { faults: ['gateway-kill', 'broker-cut'], args: ['--duration-sec=30', '--kill-at-sec=10', '--down-sec=5'] };

function usage(): string {
  return [
    'usage: npm run faults -- [fault|all|ci|list] [--name=value ...]',
    '',
    'faults:',
    ...ALL.map((f) => `  ${f.name.padEnd(20)} ${f.summary}`),
    '',
    '  all (default) runs every fault in turn; ci runs gateway-kill and broker-cut, short',
    '',
    'parameters as for npm run bench (docs/benchmarks.md), e.g. --duration-sec, --kill-at-sec (when the',
    'fault starts), --down-sec (how long it lasts), --rooms, --rate-per-room, --drain-sec, --capacity (overload)',
  ].join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [first = 'all', ...rest] = argv;
  if (['help', '--help', '-h', 'list'].includes(first)) {
    console.log(usage());
    return 0;
  }
  const named = first.startsWith('--') ? 'all' : first;
  const args = first.startsWith('--') ? argv : rest;
  const chosen =
    named === 'all'
      ? ALL
      : named === 'ci'
        ? ALL.filter((f) => CI.faults.includes(f.name))
        : ALL.filter((f) => named.split(',').includes(f.name));
  if (chosen.length === 0) {
    console.error(`unknown fault "${named}"\n\n${usage()}`);
    return 2;
  }
  const config = loadConfig(process.env);
  const tools = {
    toxiproxyBin: process.env.TOXIPROXY_BIN,
    ferretBin: process.env.FERRETDB_BIN,
    postgresUrl:
      process.env.COFFEECHAT_POSTGRES_URL ?? 'postgres://coffeechat:coffeechat@127.0.0.1:5432/coffeechat_ferretdb',
  };
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const dir = path.join(REPORTS_DIR, `faults-${stamp}`);
  mkdirSync(dir, { recursive: true });
  const rows: FaultRow[] = [];
  for (const def of chosen) {
    let params: LoadParams;
    try {
      params = applyParams({ ...FAULT_DEFAULTS, ...def.load }, [...(named === 'ci' ? CI.args : []), ...args]);
    } catch (err) {
      if (err instanceof ParamError) {
        console.error(`${err.message}\n\n${usage()}`);
        return 2;
      }
      throw err;
    }
    const ctx = createContext(def.name, params, { ...config.infra }, config.jwtSecret);
    for (const proc of findInfraProcesses()) ctx.sampler.track(proc.name, proc.pid, proc.tree);
    const machine = await machineInfo(config.infra);
    ctx.log(`fault ${def.name} on ${machine.cpus} CPUs, load average ${machine.loadAvg1m}`);
    try {
      const report = await runFault(def, ctx, machine, config.infra, tools, path.join(dir, def.name));
      const files = writeReport(report, dir);
      rows.push({ fault: def.name, report });
      for (const t of report.targets)
        ctx.log(`target: ${t.target} → ${t.actual} (${t.met === null ? 'n/a' : t.met ? 'met' : 'MISSED'})`);
      if (report.generator.warning) ctx.log(`WARNING: ${report.generator.warning}`);
      ctx.log(`${def.name}: ${report.passed ? 'every target met' : 'MISSED'}; report ${files.md}`);
    } catch (err) {
      ctx.log(`${def.name}: the run failed: ${(err as Error).stack ?? err}`);
      rows.push({ fault: def.name, error: (err as Error).message });
    } finally {
      ctx.sampler.stop();
    }
    writeFileSync(path.join(dir, 'summary.md'), summaryTable(rows));
  }
  console.log(`\n${summaryTable(rows)}`);
  console.log(`[faults] reports in ${dir}`);
  return rows.every((r) => r.report?.passed) ? 0 : 1;
}

/** The services and the servers (broker nodes, Redis, FerretDB, toxiproxy) this run started. */
function stopServers(): void {
  killAllServices();
  killAllOwned();
}

// a fault can make any client library throw from an event handler: never leave servers behind
process.on('uncaughtException', (err) => {
  console.error(`[faults] uncaught: ${err.stack ?? err.message}; stopping the servers this run started`);
  stopServers();
  process.exit(1);
});

stopOnInterrupt('faults', stopServers);

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`[faults] ${err.stack ?? err.message}`);
    stopServers();
    process.exit(1);
  },
);
