/**
 * Heartbeat benchmark (issue 3): what applying one gateway heartbeat costs the presence service, for
 * 1,000 and 10,000 users. It starts a real presence process (apps/presence/dist) on its own namespace,
 * plays a gateway on RabbitMQ, and measures:
 *   - apply time: the service's own `coffeechat_presence_heartbeat_apply_seconds` (one script call),
 *     per beat, for the first beat (every connection new: 10,000 users go online) and steady beats;
 *   - publish → applied: from the gateway's publish to the histogram counting the beat;
 *   - Redis commands: a MONITOR pass (separate, MONITOR slows Redis) counts, for this namespace only,
 *     the commands the service sent (round trips) and the commands its scripts ran inside Redis. The
 *     first beat's count includes the outbox publishing its transitions (xreadgroup/xack/xdel) and any
 *     periodic sweep that ran meanwhile (evalsha(sweep)); the heartbeat itself is evalsha(heartbeat).
 *
 * Run from the repository root (it builds, and starts RabbitMQ, Redis and the MongoDB-wire server as
 * the tests do):
 *   npm run bench -- presence-heartbeat [--users=1000,10000] [--beats=5]
 * Writes loadtest/reports/presence-heartbeat-<time>.json and prints a summary.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type PresenceHeartbeat, PresenceMessageType, presenceTopology } from '@coffeechat/contracts';
import { testAuthEnv } from '@coffeechat/testkit';
import amqp, { type ConfirmChannel } from 'amqplib';
import { Redis } from 'ioredis';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const PRESENCE_MAIN = path.join(ROOT, 'apps', 'presence', 'dist', 'main.js');
const AMQP_URL = process.env.AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const TTL_SEC = 60;

const arg = (name: string, fallback: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const userCounts = arg('users', '1000,10000').split(',').map(Number);
const beats = Number(arg('beats', '5'));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer().on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

async function startPresence(namespace: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, [PRESENCE_MAIN], {
    env: {
      ...process.env,
      ...testAuthEnv(process.env),
      CC_NAMESPACE: namespace,
      PRESENCE_PORT: String(port),
      PRESENCE_TTL_SEC: String(TTL_SEC),
      AMQP_URL,
      REDIS_URL,
      LOG_LEVEL: 'warn',
    },
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  for (let i = 0; i < 200; i++) {
    try {
      if ((await fetch(`http://127.0.0.1:${port}/readyz`)).status === 200) return child;
    } catch {
      // not listening yet
    }
    await sleep(100);
  }
  child.kill('SIGKILL');
  throw new Error('presence did not become ready');
}

/** sum and count of the apply-time histogram */
async function applyStats(port: number): Promise<{ sum: number; count: number }> {
  const text = await (await fetch(`http://127.0.0.1:${port}/metrics`)).text();
  const value = (name: string) =>
    Number(
      text
        .split('\n')
        .find((l) => l.startsWith(name))
        ?.split(' ')
        .pop() ?? 'NaN',
    );
  return {
    sum: value('coffeechat_presence_heartbeat_apply_seconds_sum'),
    count: value('coffeechat_presence_heartbeat_apply_seconds_count'),
  };
}

interface Beat {
  users: number;
  kind: 'first' | 'steady';
  /** the service's measure: the one script call, from sending it to its reply */
  applyMs: number;
  /** Redis' own `cmdstat_evalsha` time over the beat (every client's EVALSHA on this Redis: an upper bound) */
  redisEvalshaMs: number;
  redisEvalshaCalls: number;
  publishToAppliedMs: number;
  bytes: number;
}

async function evalshaStats(redis: Redis): Promise<{ calls: number; usec: number }> {
  const m = /cmdstat_evalsha:calls=(\d+),usec=(\d+)/.exec(await redis.info('commandstats'));
  return { calls: Number(m?.[1] ?? 0), usec: Number(m?.[2] ?? 0) };
}

async function publishBeat(
  channel: ConfirmChannel,
  exchange: string,
  beat: PresenceHeartbeat,
  port: number,
  stats: Redis,
): Promise<Omit<Beat, 'users' | 'kind'>> {
  const before = await applyStats(port);
  const redisBefore = await evalshaStats(stats);
  const body = Buffer.from(JSON.stringify({ ...beat, at: Date.now() }));
  const sentAt = performance.now();
  channel.publish(exchange, '', body, { contentType: 'application/json', type: PresenceMessageType.heartbeat });
  await channel.waitForConfirms();
  for (;;) {
    const after = await applyStats(port);
    if (after.count > before.count) {
      const publishToAppliedMs = performance.now() - sentAt;
      const redisAfter = await evalshaStats(stats);
      return {
        applyMs: (after.sum - before.sum) * 1000,
        redisEvalshaMs: (redisAfter.usec - redisBefore.usec) / 1000,
        redisEvalshaCalls: redisAfter.calls - redisBefore.calls,
        publishToAppliedMs,
        bytes: body.length,
      };
    }
    await sleep(5);
  }
}

interface CommandCount {
  roundTrips: Record<string, number>;
  inScripts: Record<string, number>;
}

/** Waits until the outbox has published every transition (the first beat makes `users` of them). */
async function outboxDrained(namespace: string): Promise<void> {
  const redis = new Redis(REDIS_URL);
  while ((await redis.xlen(`{${namespace}}:presence:outbox`)) > 0) await sleep(50);
  await redis.quit();
}

/** Counts, from MONITOR, the commands touching this namespace's keys while `work` runs. */
async function monitorCounts(tag: string, work: () => Promise<void>): Promise<CommandCount> {
  const monitor = await new Redis(REDIS_URL).monitor();
  const counts: CommandCount = { roundTrips: {}, inScripts: {} };
  monitor.on('monitor', (_time: string, args: string[], source: string) => {
    if (!args.some((a) => a.includes(tag))) return;
    const bucket = source === 'lua' ? counts.inScripts : counts.roundTrips;
    let command = (args[0] ?? '?').toLowerCase();
    // The heartbeat is the script call carrying the connection list; the others are sweeps and gauges.
    if (command === 'evalsha' || command === 'eval')
      command += args.some((a) => a.length > 200) ? '(heartbeat)' : '(other)';
    bucket[command] = (bucket[command] ?? 0) + 1;
  });
  await work();
  await sleep(200);
  monitor.disconnect();
  return counts;
}

const total = (r: Record<string, number>) => Object.values(r).reduce((a, b) => a + b, 0);

async function cleanUp(namespace: string): Promise<void> {
  const names = presenceTopology(namespace);
  const connection = await amqp.connect(AMQP_URL);
  const channel = await connection.createChannel();
  for (const q of [names.inputQueue, names.deadQueue, names.rpcQueue])
    await channel.deleteQueue(q).catch(() => undefined);
  for (const e of [names.inputExchange, names.deadLetterExchange, names.changesExchange]) {
    await channel.deleteExchange(e).catch(() => undefined);
  }
  await connection.close();
  const redis = new Redis(REDIS_URL);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `{${namespace}}:*`, 'COUNT', 1000);
    cursor = next;
    if (keys.length > 0) await redis.del(...keys);
  } while (cursor !== '0');
  await redis.quit();
}

async function run(users: number): Promise<{ beats: Beat[]; commands: { first: CommandCount; steady: CommandCount } }> {
  const namespace = `bench${randomBytes(4).toString('hex')}`;
  const names = presenceTopology(namespace);
  const port = await freePort();
  const presence = await startPresence(namespace, port);
  const connection = await amqp.connect(AMQP_URL);
  const stats = new Redis(REDIS_URL);
  try {
    const channel = await connection.createConfirmChannel();
    const gatewayId = `gw-${namespace}`;
    const conns = Array.from({ length: users }, (_, i) => [`user-${i}`, randomUUID()] as [string, string]);
    const beat: PresenceHeartbeat = { kind: 'heartbeat', gatewayId, at: 0, conns };
    const results: Beat[] = [];
    results.push({ users, kind: 'first', ...(await publishBeat(channel, names.inputExchange, beat, port, stats)) });
    await outboxDrained(namespace);
    for (let i = 0; i < beats; i++) {
      results.push({ users, kind: 'steady', ...(await publishBeat(channel, names.inputExchange, beat, port, stats)) });
    }
    // The counting pass, on fresh connections (first beat) and then a steady one.
    const fresh: PresenceHeartbeat = {
      ...beat,
      gatewayId: `${gatewayId}-2`,
      conns: Array.from({ length: users }, (_, i) => [`fresh-${i}`, randomUUID()] as [string, string]),
    };
    const tag = `{${namespace}}`;
    const first = await monitorCounts(tag, async () => {
      await publishBeat(channel, names.inputExchange, fresh, port, stats);
      await outboxDrained(namespace);
    });
    const steady = await monitorCounts(tag, async () => {
      await publishBeat(channel, names.inputExchange, fresh, port, stats);
    });
    return { beats: results, commands: { first, steady } };
  } finally {
    await connection.close();
    await stats.quit();
    presence.kill('SIGTERM');
    await new Promise((r) => presence.once('exit', r));
    await cleanUp(namespace);
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;

const report: Record<string, unknown> = {
  startedAt: new Date().toISOString(),
  ttlSec: TTL_SEC,
  beats,
  loadAverage: os.loadavg(),
  cpus: os.cpus().length,
  runs: [],
};
const lines: string[] = [];
for (const users of userCounts) {
  const { beats: results, commands } = await run(users);
  const steady = results.filter((b) => b.kind === 'steady');
  const first = results.find((b) => b.kind === 'first');
  (report.runs as unknown[]).push({ users, results, commands });
  lines.push(
    `${users} users (${((first?.bytes ?? 0) / 1024).toFixed(0)} KiB beat):`,
    `  first beat (all new, ${users} go online): apply ${first?.applyMs.toFixed(1)} ms, publish→applied ${first?.publishToAppliedMs.toFixed(1)} ms`,
    `  steady beats: apply median ${median(steady.map((b) => b.applyMs)).toFixed(1)} ms (max ${Math.max(...steady.map((b) => b.applyMs)).toFixed(1)}), of which inside Redis ≤ ${median(steady.map((b) => b.redisEvalshaMs)).toFixed(1)} ms; publish→applied median ${median(steady.map((b) => b.publishToAppliedMs)).toFixed(1)} ms`,
    `  Redis round trips per beat: first ${total(commands.first.roundTrips)} ${JSON.stringify(commands.first.roundTrips)}, steady ${total(commands.steady.roundTrips)} ${JSON.stringify(commands.steady.roundTrips)}`,
    `  commands run inside the script: first ${total(commands.first.inScripts)} ${JSON.stringify(commands.first.inScripts)}`,
    `                                  steady ${total(commands.steady.inScripts)} ${JSON.stringify(commands.steady.inScripts)}`,
  );
}
report.summary = lines;
const dir = path.join(ROOT, 'loadtest', 'reports');
mkdirSync(dir, { recursive: true });
const file = path.join(dir, `presence-heartbeat-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(file, `${JSON.stringify(report, null, 2)}\n`);
console.log(
  `machine: ${os.cpus().length} CPUs, load average ${os
    .loadavg()
    .map((l) => l.toFixed(1))
    .join(' ')}`,
);
console.log(lines.join('\n'));
console.log(`report: ${path.relative(ROOT, file)}`);
