// Entry point of the root npm scripts (SPEC §1). Runs on a fresh machine with only Node.js, npm and Go:
// bootstraps a pinned pnpm into .tools/ (corepack's signature check fails on these machines), installs,
// resolves the infrastructure, builds, then starts the services or runs every test.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { canManageBroker, ensureBrokerUsers } from './broker-users.mjs';
import { ensureGoTool } from './go-tools.mjs';
import {
  chooseSource,
  dockerAnswers,
  ensureChromium,
  ensureInfra,
  ensureRedisServerBinary,
  ferretBackend,
} from './infra.mjs';
import { JAEGER_DEFAULT_PORTS, startJaeger } from './jaeger.mjs';
import { supervise } from './supervisor.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PNPM_VERSION = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).packageManager.split('@')[1];
const TOOLS = path.join(ROOT, '.tools');
const PNPM = path.join(TOOLS, 'node_modules', 'pnpm', 'bin', 'pnpm.cjs');

export const SERVICES = [
  { name: 'gateway', port: 8080, path: '/ws' },
  { name: 'message-router', port: 8081, path: '/' },
  { name: 'presence', port: 8082, path: '/' },
  { name: 'feed', port: 8083, path: '/' },
  { name: 'web', port: 8084, path: '/' },
];

const log = (msg) => console.log(`[coffeechat] ${msg}`);

// turbo looks pnpm up on PATH; the bootstrapped one comes first.
process.env.PATH = [
  path.join(TOOLS, 'node_modules', '.bin'),
  path.join(ROOT, 'node_modules', '.bin'),
  process.env.PATH,
].join(path.delimiter);
process.env.TURBO_TELEMETRY_DISABLED = '1';
process.env.DO_NOT_TRACK = '1';

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: ROOT, ...opts });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited with ${r.status ?? r.signal}`);
}

function ensurePnpm() {
  if (existsSync(PNPM)) return;
  log(`bootstrapping pnpm ${PNPM_VERSION} into .tools/`);
  run('npm', ['install', '--prefix', TOOLS, '--no-save', '--no-audit', '--no-fund', `pnpm@${PNPM_VERSION}`]);
}

export const pnpm = (args, opts) => run(process.execPath, [PNPM, ...args], opts);

function ensureInstalled() {
  ensurePnpm();
  const marker = path.join(ROOT, 'node_modules', '.coffeechat-installed');
  const lock = path.join(ROOT, 'pnpm-lock.yaml');
  const fresh = existsSync(marker) && existsSync(lock) && statSync(marker).mtimeMs >= statSync(lock).mtimeMs;
  if (fresh) return;
  log('installing dependencies');
  pnpm(['install', existsSync(lock) && process.env.CI ? '--frozen-lockfile' : '--prefer-offline']);
  writeFileSync(marker, new Date().toISOString());
}

const build = () => pnpm(['exec', 'turbo', 'run', 'build', '--output-logs=errors-only']);

function infraEnv(infra) {
  return { AMQP_URL: infra.urls.amqp, REDIS_URL: infra.urls.redis, MONGO_URL: infra.urls.mongo };
}

/**
 * SPEC §2: `npm start`, `npm test` and the benches choose the built-in development secret (the one
 * `npm run token` signs with) explicitly; a service given no choice refuses to start. A JWT_SECRET or
 * JWT_JWKS_URL from the shell is used instead.
 */
function devSecretEnv() {
  return process.env.JWT_SECRET || process.env.JWT_JWKS_URL ? {} : { JWT_DEV_SECRET: '1' };
}

/**
 * `npm start -- --jaeger`: the cached Jaeger on its default ports, and the services export every trace to
 * it (unless OTEL_EXPORTER_OTLP_ENDPOINT already names a collector).
 */
async function maybeJaeger() {
  if (!process.argv.slice(3).includes('--jaeger') || process.env.OTEL_EXPORTER_OTLP_ENDPOINT) return null;
  const jaeger = await startJaeger({ ports: JAEGER_DEFAULT_PORTS });
  return { jaeger, env: { OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpEndpoint } };
}

/**
 * On the local broker, each service connects as its own RabbitMQ user, allowed only its own exchanges and
 * queues (scripts/broker-users.mjs). Their passwords are kept in .infra/ so a second `npm start` (or one
 * still running) keeps working. Elsewhere (AMQP_URL given, Docker) every service uses the given URL.
 */
async function serviceBrokerUrls(infra) {
  const namespace = process.env.CC_NAMESPACE ?? 'coffeechat';
  if (infra.source !== 'local' || process.env.AMQP_URL || !(await canManageBroker())) {
    log('RabbitMQ: every service uses AMQP_URL (one user per service needs rabbitmqctl on the local broker)');
    return {};
  }
  const file = path.join(ROOT, '.infra', 'broker-users.json');
  const stored = existsSync(file) ? JSON.parse(readFileSync(file, 'utf8')) : {};
  const { urls, passwords } = await ensureBrokerUsers({
    namespace,
    amqpUrl: infra.urls.amqp,
    passwords: stored[namespace] ?? {},
  });
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, JSON.stringify({ ...stored, [namespace]: passwords }, null, 2), { mode: 0o600 });
  log(
    `RabbitMQ: one user per service (${Object.keys(urls)
      .map((s) => `${namespace}-${s}`)
      .join(', ')})`,
  );
  return urls;
}

async function start() {
  ensureInstalled();
  const infra = await ensureInfra();
  build();
  const brokerUrls = await serviceBrokerUrls(infra);
  const traces = await maybeJaeger();
  let stopping = false;
  // A service that crashes is started again (with backoff); only Ctrl-C or SIGTERM stops everything.
  const services = SERVICES.map((svc) =>
    supervise({
      name: svc.name,
      log,
      start: () =>
        spawn(process.execPath, [path.join(ROOT, 'apps', svc.name, 'dist', 'main.js')], {
          cwd: ROOT,
          stdio: 'inherit',
          env: {
            ...process.env,
            ...infraEnv(infra),
            ...(brokerUrls[svc.name] ? { AMQP_URL: brokerUrls[svc.name] } : {}),
            ...devSecretEnv(),
            ...traces?.env,
            LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
          },
        }),
    }),
  );
  const stop = async (code = 0) => {
    if (stopping) return;
    stopping = true;
    log('stopping services');
    await Promise.all(services.map((s) => s.stop()));
    await traces?.jaeger.stop();
    await infra.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void stop());
  process.on('SIGTERM', () => void stop());
  for (const svc of SERVICES) {
    const scheme = svc.name === 'gateway' ? 'ws' : 'http';
    log(`${svc.name.padEnd(15)} ${scheme}://127.0.0.1:${svc.port}${svc.path}`);
  }
  if (traces) log(`${'traces'.padEnd(15)} ${traces.jaeger.queryUrl} (Jaeger)`);
  log('mint a token with: npm run token -- <userId> [--admin]');
  log('open the app at http://127.0.0.1:8084/ and sign in with any user name');
}

async function test() {
  ensureInstalled();
  // With a Docker engine (and no URLs given) the suite's servers come from testcontainers, started by
  // the testkit's Vitest global set-up; otherwise from scripts/infra.mjs (local servers or the URLs).
  const containers = chooseSource({ env: process.env, dockerAnswers: dockerAnswers() }) === 'docker';
  const infra = containers ? null : await ensureInfra();
  const chromium = ensureChromium();
  // apps/feed/test/redis-loss.test.ts restarts a redis-server of its own
  ensureRedisServerBinary();
  let status = 1;
  try {
    build();
    // the alert rules' unit tests (packages/telemetry/test/ops-files.test.ts) run the pinned promtool
    const tools = { PROMTOOL: ensureGoTool('promtool') };
    if (infra?.rabbitMetrics) tools.RABBITMQ_METRICS_URL = infra.rabbitMetrics;
    const config = containers ? ['--config', 'deploy/vitest.docker.config.ts'] : [];
    // One test file at a time: the suites start whole stacks of processes and assert on timings users
    // see (offline within 1 s, …); several stacks at once overload a 2-core machine and its FerretDB.
    const r = spawnSync(
      process.execPath,
      [PNPM, 'exec', 'vitest', 'run', '--no-file-parallelism', ...config, ...process.argv.slice(3)],
      {
        cwd: ROOT,
        stdio: 'inherit',
        env: {
          ...process.env,
          ...(infra ? infraEnv(infra) : {}),
          ...devSecretEnv(),
          ...tools,
          CHROMIUM_PATH: chromium,
        },
      },
    );
    status = r.status ?? 1;
  } finally {
    await infra?.stop();
  }
  process.exit(status);
}

function token() {
  ensureInstalled();
  pnpm(['exec', 'turbo', 'run', 'build', '--filter=@coffeechat/auth', '--output-logs=errors-only'], {
    stdio: ['inherit', 'ignore', 'inherit'],
  });
  run(process.execPath, [path.join(ROOT, 'packages', 'auth', 'dist', 'token-cli.js'), ...process.argv.slice(3)]);
}

/** Benchmarks of one service each, with their own parameters (the chat scenarios go through loadtest/dist/cli.js). */
const SERVICE_BENCHES = {
  'feed-cache': path.join('loadtest', 'dist', 'benches', 'feed-cache.js'),
  'feed-rebuild': path.join('loadtest', 'dist', 'benches', 'feed-rebuild.js'),
  'presence-heartbeat': path.join('loadtest', 'dist', 'benches', 'presence-heartbeat.js'),
  'protocol-fuzz': path.join('loadtest', 'dist', 'benches', 'protocol-fuzz.js'),
  tracing: path.join('loadtest', 'tracing', 'bench.mjs'),
  'tracing-micro': path.join('loadtest', 'tracing', 'micro.mjs'),
};

/**
 * Runs one of the repository's node scripts against the servers (resolved here, stopped afterwards), after
 * a build, and exits with its status. `prepare` starts what else the script needs and returns its settings
 * and how to stop it.
 */
async function runWithInfra(script, args, prepare = async () => ({ env: {} })) {
  ensureInstalled();
  const infra = await ensureInfra();
  let status = 1;
  let extra;
  try {
    build();
    extra = await prepare();
    const r = spawnSync(process.execPath, [path.join(ROOT, script), ...args], {
      cwd: ROOT,
      stdio: 'inherit',
      env: { ...process.env, ...infraEnv(infra), ...devSecretEnv(), ...extra.env },
    });
    status = r.status ?? 1;
  } finally {
    await extra?.stop?.();
    await infra.stop();
  }
  process.exit(status);
}

async function bench() {
  const [name, ...rest] = process.argv.slice(3);
  const script = SERVICE_BENCHES[name];
  await (script
    ? runWithInfra(script, rest)
    : runWithInfra(path.join('loadtest', 'dist', 'cli.js'), process.argv.slice(3)));
}

/**
 * `npm run faults -- [fault|all|ci] [--name=value …]`: the fault suite (loadtest/src/faults) with the
 * tools it starts on its own: toxiproxy and FerretDB (built once from the Go module proxy), RabbitMQ
 * nodes and redis-server from the machine's packages (installed when missing).
 */
async function faults() {
  await runWithInfra(path.join('loadtest', 'dist', 'faults', 'cli.js'), process.argv.slice(3), async () => {
    ensureRedisServerBinary();
    const toxiproxy = ensureGoTool('toxiproxy');
    const ferret = await ferretBackend();
    return {
      env: { TOXIPROXY_BIN: toxiproxy, FERRETDB_BIN: ferret.binary, COFFEECHAT_POSTGRES_URL: ferret.postgresUrl },
    };
  });
}

/**
 * `npm run check:traces [-- --messages N --keep]`: a Jaeger (started here, unless OTEL_EXPORTER_OTLP_ENDPOINT
 * names a running collector, then JAEGER_QUERY_URL names its query API), the stack exporting to it, and
 * packages/telemetry/check/check-traces.mjs asking Jaeger for each message's trace.
 */
async function checkTraces() {
  const script = path.join('packages', 'telemetry', 'check', 'check-traces.mjs');
  await runWithInfra(script, process.argv.slice(3), async () => {
    if (process.env.OTEL_EXPORTER_OTLP_ENDPOINT) return { env: {} };
    const jaeger = await startJaeger();
    return {
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: jaeger.otlpEndpoint, JAEGER_QUERY_URL: jaeger.queryUrl },
      stop: () => jaeger.stop(),
    };
  });
}

/** `node scripts/cli.mjs tool <name>`: builds a pinned Go tool once (scripts/go-tools.mjs) and prints its path. */
function tool() {
  console.log(ensureGoTool(process.argv[3]));
}

function checkDeploy() {
  ensureInstalled();
  run('bash', [path.join(ROOT, 'deploy', 'check.sh')]);
}

/** `turbo run <task>` with the bootstrapped pnpm on PATH (turbo looks the package manager up there). */
function turboTask(task) {
  return () => {
    ensureInstalled();
    pnpm(['exec', 'turbo', 'run', task, '--output-logs=errors-only']);
  };
}

async function infraOnly() {
  const infra = await ensureInfra();
  if (process.argv[3] !== '--keep') await infra.stop();
}

const commands = {
  start,
  test,
  token,
  bench,
  faults,
  'check-deploy': checkDeploy,
  'check-traces': checkTraces,
  tool,
  infra: infraOnly,
  build: turboTask('build'),
  typecheck: turboTask('typecheck'),
};
const command = commands[process.argv[2]];
if (!command) {
  console.error(`usage: node scripts/cli.mjs <${Object.keys(commands).join('|')}>`);
  process.exit(2);
}
try {
  await command();
} catch (err) {
  console.error(`[coffeechat] ${err instanceof Error ? err.message : err}`);
  process.exit(1);
}
