#!/usr/bin/env node
/**
 * `npm run bench -- <scenario> [--name=value …]`: runs one load scenario and writes
 * loadtest/reports/<scenario>-<timestamp>.{json,md,svg}. Exit code 0 when the scenario passed.
 */
import { loadConfig } from './config.js';
import { DEFAULTS, ParamError, parseParams, SCENARIOS, type ScenarioName } from './params.js';
import { machineInfo } from './probes/machine.js';
import { findInfraProcesses } from './probes/proc-stats.js';
import { writeReport } from './report/write.js';
import { createContext } from './scenarios/context.js';
import { scenarios } from './scenarios/index.js';
import { killAllServices } from './stack/service-process.js';
import { stopOnInterrupt } from './stack/stop-on-interrupt.js';

function usage(): string {
  const lines = [
    'usage: npm run bench -- <scenario> [--name=value ...]',
    '',
    `scenarios: ${SCENARIOS.join(', ')}`,
    'service benchmarks, with parameters of their own (docs/benchmarks.md):',
    '  feed-cache, presence-heartbeat, tracing, tracing-micro',
    '',
    'parameters (defaults per scenario; lists are comma separated):',
    '  --rooms --members --rate-per-room --message-bytes --duration-sec --connect-per-sec',
    '  --gateways --routers --partitions --batch-max --workers --drain-sec --warmup-sec --steps --p99-limit-ms',
    '  --connections --hold-sec --kill-at-sec --down-sec --driver=client|raw --systems=coffeechat,socketio,uws',
    '  --gateway-url=ws://…/ws,… --router-url=http://… (load a running stack instead of starting one)',
    '',
    'defaults:',
    ...SCENARIOS.map((s) => {
      const d = DEFAULTS[s];
      return `  ${s}: rooms=${d.rooms} members=${d.members} ratePerRoom=${d.ratePerRoom} durationSec=${d.durationSec} gateways=${d.gateways} routers=${d.routers} partitions=${d.partitions} batchMax=${d.batchMax} workers=${d.workers} warmupSec=${d.warmupSec}${d.steps.length ? ` steps=${d.steps.join(',')}` : ''}${d.connections ? ` connections=${d.connections}` : ''}`;
    }),
  ];
  return lines.join('\n');
}

async function main(argv: string[]): Promise<number> {
  const [name = 'smoke', ...rest] = argv;
  if (name === '--help' || name === '-h' || name === 'help') {
    console.log(usage());
    return 0;
  }
  if (!SCENARIOS.includes(name as ScenarioName)) {
    console.error(`unknown scenario "${name}"\n\n${usage()}`);
    return 2;
  }
  const scenario = name as ScenarioName;
  let params: ReturnType<typeof parseParams>;
  try {
    params = parseParams(scenario, rest);
  } catch (err) {
    if (err instanceof ParamError) {
      console.error(`${err.message}\n\n${usage()}`);
      return 2;
    }
    throw err;
  }
  const config = loadConfig(process.env);
  const ctx = createContext(scenario, params, config.infra, config.jwtSecret);
  for (const proc of findInfraProcesses()) ctx.sampler.track(proc.name, proc.pid, proc.tree);
  const machine = await machineInfo(config.infra);
  ctx.log(`scenario ${scenario} on ${machine.cpus} CPUs, load average ${machine.loadAvg1m}`);
  try {
    const report = await scenarios[scenario](ctx, machine);
    const files = writeReport(report);
    ctx.log(`report: ${files.json}`);
    ctx.log(`summary: ${files.md}`);
    ctx.log(`chart: ${files.svg}`);
    if (report.generator.warning) ctx.log(`WARNING: ${report.generator.warning}`);
    for (const t of report.targets)
      ctx.log(`target: ${t.target} → ${t.actual} (${t.met === null ? 'n/a' : t.met ? 'met' : 'MISSED'})`);
    ctx.log(report.passed ? `${scenario} passed` : `${scenario} FAILED: ${report.failures.join('; ')}`);
    return report.passed ? 0 : 1;
  } finally {
    ctx.sampler.stop();
  }
}

stopOnInterrupt('bench', killAllServices);

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`[bench] ${err.stack ?? err.message}`);
    process.exit(1);
  },
);
