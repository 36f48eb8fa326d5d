// Resolves RabbitMQ, Redis and a MongoDB-wire server for `npm start`, `npm test` and CI, in the
// order ARCHITECTURE.md gives: URLs from the environment, then a Docker engine when one answers,
// then local servers (installed from Debian's packages / `go install` when missing, started when down).
// Plain Node with no dependencies: it runs before anything is installed.
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, openSync, readdirSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ensureGoTool, GO_TOOLS } from './go-tools.mjs';

const FERRETDB_VERSION = GO_TOOLS.ferretdb.version;

const DEFAULTS = {
  amqp: 'amqp://guest:guest@127.0.0.1:5672',
  redis: 'redis://127.0.0.1:6379',
  mongo: 'mongodb://127.0.0.1:27017/coffeechat',
  // FerretDB's own PostgreSQL database (each MongoDB database is a schema in it); the role and its
  // password are created below when the server does not trust local connections already.
  postgres: 'postgres://coffeechat:coffeechat@127.0.0.1:5432/coffeechat_ferretdb',
};

const log = (msg) => console.log(`[infra] ${msg}`);

/** Sends `hello` to host:port and resolves with the first bytes answered, or null on failure. */
export function probe(host, port, hello, timeoutMs = 1500) {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    let done = false;
    const finish = (value) => {
      if (done) return;
      done = true;
      socket.destroy();
      resolve(value);
    };
    socket.setTimeout(timeoutMs, () => finish(null));
    socket.on('error', () => finish(null));
    socket.on('connect', () => {
      if (hello === null) finish(Buffer.alloc(0));
      else socket.write(hello);
    });
    socket.on('data', (data) => finish(data));
  });
}

const hostPort = (url, defaultPort) => {
  const u = new URL(url);
  return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || defaultPort) };
};

const checks = {
  async amqp(url) {
    const { host, port } = hostPort(url, 5672);
    const reply = await probe(host, port, Buffer.from('AMQP\x00\x00\x09\x01', 'binary'));
    return reply !== null && reply[0] === 1; // frame type 1 = method (connection.start)
  },
  async redis(url) {
    const { host, port } = hostPort(url, 6379);
    const reply = await probe(host, port, 'PING\r\n');
    // "-NOAUTH" still proves a Redis is there; the services authenticate with the URL's password.
    return reply !== null && /^(\+PONG|-NOAUTH)/.test(reply.toString());
  },
  async mongo(url) {
    const { host, port } = hostPort(url.replace(/^mongodb(\+srv)?:/, 'http:'), 27017);
    return (await probe(host, port, null)) !== null;
  },
  async postgres(url) {
    const { host, port } = hostPort(url.replace(/^postgres(ql)?:/, 'http:'), 5432);
    // an SSLRequest: a PostgreSQL server answers with one byte, 'S' or 'N'
    const reply = await probe(host, port, Buffer.from([0, 0, 0, 8, 0x04, 0xd2, 0x16, 0x2f]));
    return reply !== null && (reply[0] === 0x53 || reply[0] === 0x4e);
  },
};

async function waitFor(kind, url, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await checks[kind](url)) return true;
    await new Promise((r) => setTimeout(r, 300));
  }
  return false;
}

/** Which source serves the servers: decided from facts only, so it is unit-tested. */
export function chooseSource({ env, dockerAnswers }) {
  if (env.AMQP_URL && env.REDIS_URL && env.MONGO_URL) return 'env';
  if (dockerAnswers && env.COFFEECHAT_NO_DOCKER !== '1') return 'docker';
  return 'local';
}

export function dockerAnswers() {
  const r = spawnSync('docker', ['info', '--format', '{{.ServerVersion}}'], { stdio: 'pipe', timeout: 5000 });
  return r.status === 0 && r.stdout.toString().trim() !== '';
}

const isRoot = () => process.getuid?.() === 0;
const has = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
let aptUpdated = false;

function aptInstall(pkg, instead = 'set the *_URL variables') {
  if (!isRoot()) throw new Error(`${pkg} is missing; install it (apt-get install ${pkg}) or ${instead}`);
  if (!aptUpdated) {
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
    aptUpdated = true;
  }
  log(`installing ${pkg} from Debian's packages`);
  execFileSync('apt-get', ['install', '-y', '-qq', pkg], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
}

/**
 * The browser the web app's tests drive (playwright-core with Debian's Chromium: browser downloads do
 * not work on these machines). `CHROMIUM_PATH` names another one. Returns its path.
 */
export function ensureChromium(env = process.env) {
  if (env.CHROMIUM_PATH) return env.CHROMIUM_PATH;
  const found = ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find((p) => existsSync(p));
  if (found) return found;
  aptInstall('chromium', 'set CHROMIUM_PATH');
  return '/usr/bin/chromium';
}

/**
 * The redis-server binary, for the tests and faults that start a Redis of their own on a free port and
 * restart it empty (never the machine's Redis), whichever source the shared servers come from.
 */
export function ensureRedisServerBinary() {
  if (!has('redis-server')) aptInstall('redis-server', 'install redis-server');
}

async function ensureRabbit(url) {
  if (await checks.amqp(url)) return 'running';
  if (!has('rabbitmq-server')) aptInstall('rabbitmq-server');
  log('starting RabbitMQ (rabbitmq-server -detached)');
  spawnSync('rabbitmq-server', ['-detached'], { stdio: 'inherit' });
  if (!(await waitFor('amqp', url, 90_000))) throw new Error(`RabbitMQ did not answer on ${url}`);
  return 'started';
}

export const RABBITMQ_METRICS_PORT = 15692;

/**
 * The broker's own Prometheus metrics (deploy/prometheus scrapes them, deploy/grafana shows them): the
 * rabbitmq_prometheus plugin, enabled on the running node (`rabbitmq-plugins enable` is online, no
 * restart). Returns the metrics URL, or null with a warning when it cannot be enabled here.
 */
async function ensureRabbitMetrics(url) {
  const { host } = hostPort(url, 5672);
  const metricsUrl = `http://${host}:${RABBITMQ_METRICS_PORT}`;
  if ((await probe(host, RABBITMQ_METRICS_PORT, null)) !== null) return metricsUrl;
  if (!has('rabbitmq-plugins')) {
    log('rabbitmq-plugins not found: the broker serves no Prometheus metrics');
    return null;
  }
  log('enabling the RabbitMQ Prometheus plugin (rabbitmq-plugins enable rabbitmq_prometheus)');
  const r = spawnSync('rabbitmq-plugins', ['enable', 'rabbitmq_prometheus'], { stdio: 'pipe', timeout: 120_000 });
  const deadline = Date.now() + 30_000;
  while (r.status === 0 && Date.now() < deadline) {
    if ((await probe(host, RABBITMQ_METRICS_PORT, null)) !== null) return metricsUrl;
    await new Promise((resolve) => setTimeout(resolve, 300));
  }
  log(`RabbitMQ Prometheus plugin not answering on :${RABBITMQ_METRICS_PORT}: ${r.stderr?.toString().trim() ?? ''}`);
  return null;
}

async function ensureRedis(url) {
  if (await checks.redis(url)) return 'running';
  if (!has('redis-server')) aptInstall('redis-server');
  const { port } = hostPort(url, 6379);
  log(`starting Redis on port ${port}`);
  spawnSync(
    'redis-server',
    ['--daemonize', 'yes', '--bind', '127.0.0.1', '--port', String(port), '--save', '', '--appendonly', 'no'],
    { stdio: 'inherit' },
  );
  if (!(await waitFor('redis', url, 20_000))) throw new Error(`Redis did not answer on ${url}`);
  return 'started';
}

const PG_ROLE = 'coffeechat';
const PG_DATABASE = 'coffeechat_ferretdb';

/** psql as PostgreSQL's superuser over the local socket (peer or trust authentication), or null when it cannot. */
function superuserSql(sql) {
  if (!has('psql')) aptInstall('postgresql-client');
  const args = ['-X', '-q', '-t', '-A', '-v', 'ON_ERROR_STOP=1', '-d', 'postgres', '-c', sql];
  const r = isRoot()
    ? spawnSync('runuser', ['-u', 'postgres', '--', 'psql', ...args], { stdio: 'pipe', cwd: '/' })
    : spawnSync('psql', ['-U', 'postgres', ...args], { stdio: 'pipe' });
  if (r.status !== 0) throw new Error(`psql failed: ${r.stderr.toString().trim()}`);
  return r.stdout.toString().trim();
}

/** FerretDB's role and database, created once (idempotent). PostgreSQL's own settings are left as they are. */
function ensureFerretDatabase() {
  superuserSql(
    `DO $$ BEGIN IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '${PG_ROLE}') THEN ` +
      `CREATE ROLE ${PG_ROLE} LOGIN PASSWORD '${PG_ROLE}'; END IF; END $$;`,
  );
  if (superuserSql(`SELECT 1 FROM pg_database WHERE datname = '${PG_DATABASE}'`) !== '1') {
    log(`creating PostgreSQL database ${PG_DATABASE}`);
    superuserSql(`CREATE DATABASE ${PG_DATABASE} OWNER ${PG_ROLE}`);
  }
}

/** The local PostgreSQL: used when it answers, else installed from Debian's packages and started. */
async function ensurePostgres(url) {
  let state = 'running';
  if (!(await checks.postgres(url))) {
    if (!has('pg_ctlcluster')) aptInstall('postgresql');
    const versions = existsSync('/etc/postgresql') ? readdirSync('/etc/postgresql').sort() : [];
    const version = versions[versions.length - 1];
    if (!version) throw new Error('PostgreSQL is installed but has no cluster (pg_createcluster <version> main)');
    log(`starting PostgreSQL ${version} (pg_ctlcluster ${version} main start)`);
    spawnSync('pg_ctlcluster', ['--skip-systemctl-redirect', version, 'main', 'start'], { stdio: 'inherit' });
    if (!(await waitFor('postgres', url, 60_000))) throw new Error(`PostgreSQL did not answer on ${redact(url)}`);
    state = 'started';
  }
  return state;
}

/**
 * For a FerretDB of a caller's own (the fault suite starts and stops its own): the binary, and the
 * PostgreSQL database it runs on, made ready.
 */
export async function ferretBackend(env = process.env) {
  const binary = ensureGoTool('ferretdb');
  const postgresUrl = env.COFFEECHAT_POSTGRES_URL ?? DEFAULTS.postgres;
  await ensurePostgres(postgresUrl);
  if (!env.COFFEECHAT_POSTGRES_URL) ensureFerretDatabase();
  return { binary, postgresUrl };
}

/**
 * Starts FerretDB on PostgreSQL when nothing answers on the Mongo URL; returns its process or null.
 * The PostgreSQL backend writes concurrently; the SQLite one serialises every write (an eighth of the
 * throughput, docs/benchmarks.md).
 */
async function ensureMongo(url, dataRoot, env) {
  if (await checks.mongo(url)) return { state: 'running', child: null };
  const ferretdb = ensureGoTool('ferretdb');
  const pgUrl = env.COFFEECHAT_POSTGRES_URL ?? DEFAULTS.postgres;
  const pgState = await ensurePostgres(pgUrl);
  if (!env.COFFEECHAT_POSTGRES_URL) ensureFerretDatabase();
  const { port } = hostPort(url.replace(/^mongodb:/, 'http:'), 27017);
  mkdirSync(dataRoot, { recursive: true });
  const logFd = openSync(path.join(dataRoot, 'ferretdb.log'), 'a');
  log(`starting FerretDB ${FERRETDB_VERSION} on 127.0.0.1:${port} (PostgreSQL ${redact(pgUrl)}, ${pgState})`);
  const child = spawn(
    ferretdb,
    [
      '--handler=postgresql',
      `--postgresql-url=${pgUrl}`,
      `--listen-addr=127.0.0.1:${port}`,
      '--debug-addr=-',
      '--telemetry=disable',
      // Its state.json (instance id) goes beside the log, not into the working directory.
      `--state-dir=${dataRoot}`,
      '--log-level=warn',
    ],
    { stdio: ['ignore', logFd, logFd], detached: false },
  );
  if (!(await waitFor('mongo', url, 30_000))) {
    child.kill('SIGKILL');
    throw new Error(`FerretDB did not answer on ${url}; see ${dataRoot}/ferretdb.log`);
  }
  return { state: 'started', child };
}

function dockerRun(name, image, ports, args = []) {
  const running = spawnSync('docker', ['inspect', '-f', '{{.State.Running}}', name], { stdio: 'pipe' });
  if (running.status === 0 && running.stdout.toString().trim() === 'true') return;
  spawnSync('docker', ['rm', '-f', name], { stdio: 'ignore' });
  const publish = ports.flatMap((p) => ['-p', `127.0.0.1:${p}:${p}`]);
  execFileSync('docker', ['run', '-d', '--name', name, ...publish, image, ...args], { stdio: 'inherit' });
}

/**
 * Makes sure the three servers answer. Returns their URLs, what was used, and `stop()` which ends
 * only the processes this call started (never the machine's own RabbitMQ/Redis).
 */
export async function ensureInfra({ env = process.env, dataRoot = path.resolve('.infra') } = {}) {
  const urls = {
    amqp: env.AMQP_URL ?? DEFAULTS.amqp,
    redis: env.REDIS_URL ?? DEFAULTS.redis,
    mongo: env.MONGO_URL ?? DEFAULTS.mongo,
  };
  const source = chooseSource({
    env,
    dockerAnswers: !env.AMQP_URL || !env.REDIS_URL || !env.MONGO_URL ? dockerAnswers() : false,
  });
  const started = [];
  const used = {};
  let rabbitMetrics = null;
  if (source === 'env') {
    for (const kind of ['amqp', 'redis', 'mongo']) {
      if (!(await waitFor(kind, urls[kind], 30_000))) throw new Error(`${kind} does not answer on ${urls[kind]}`);
      used[kind] = 'from environment';
    }
  } else if (source === 'docker') {
    dockerRun('coffeechat-rabbitmq', 'rabbitmq:3.13-management', [5672, 15672]);
    dockerRun('coffeechat-redis', 'redis:7', [6379]);
    dockerRun('coffeechat-mongo', 'mongo:7', [27017], ['--replSet', 'rs0', '--bind_ip_all']);
    spawnSync('docker', [
      'exec',
      'coffeechat-mongo',
      'mongosh',
      '--quiet',
      '--eval',
      'try{rs.status()}catch(e){rs.initiate()}',
    ]);
    for (const kind of ['amqp', 'redis', 'mongo']) {
      if (!(await waitFor(kind, urls[kind], 120_000))) throw new Error(`${kind} container did not answer`);
      used[kind] = 'Docker container';
    }
  } else {
    used.amqp = `local RabbitMQ (${await ensureRabbit(urls.amqp)})`;
    rabbitMetrics = await ensureRabbitMetrics(urls.amqp);
    if (rabbitMetrics) used.amqp += `, metrics ${rabbitMetrics}/metrics`;
    used.redis = `local Redis (${await ensureRedis(urls.redis)})`;
    const mongo = await ensureMongo(urls.mongo, dataRoot, env);
    used.mongo = mongo.state === 'started' ? `FerretDB ${FERRETDB_VERSION} (started)` : 'MongoDB-wire server (running)';
    if (mongo.child) started.push(mongo.child);
  }
  for (const kind of ['amqp', 'redis', 'mongo']) log(`${kind.padEnd(5)} ${redact(urls[kind])}  ${used[kind]}`);
  return {
    source,
    urls,
    /** the broker's Prometheus endpoint (local RabbitMQ only), or null */
    rabbitMetrics,
    async stop() {
      for (const child of started) {
        if (child.exitCode !== null) continue;
        child.kill('SIGTERM');
        await new Promise((r) => {
          const t = setTimeout(() => {
            child.kill('SIGKILL');
            r();
          }, 5000);
          child.once('exit', () => {
            clearTimeout(t);
            r();
          });
        });
      }
    },
  };
}

const redact = (url) => url.replace(/\/\/([^:@/]+):([^@/]+)@/, '//$1:***@');
