#!/usr/bin/env node
/**
 * What tracing costs, in one run, with the drift of a shared machine cancelled: for each scenario (typing,
 * then chat) one stack per mode (message-router, two gateways, presence) is started and kept up, and the
 * same closed-loop load (senders on gateway A keep a window of frames in flight to receivers on gateway B)
 * is moved from stack to stack in short slices: a cycle gives every mode one slice, in an order that
 * rotates from cycle to cycle, so what the rest of the machine does hits every mode alike and the modes
 * compared within a cycle ran seconds apart. The modes are by default tracing off, off again, OTLP
 * export with a parent-based ratio sampler at 0.01, and at 1.0: the second "off" is an A/A check, its
 * "loss" against the first is what the run cannot tell from nothing.
 *
 * The report gives per mode messages per second, p50/p99 send→ack and send→deliver, the CPU time each
 * process spent per message, and per cycle the loss of throughput against the cycle's "off": its median
 * over the cycles is the figure, the spread between the cycles (interquartile range, min–max) the noise.
 * It ends with `overhead at 0.01: X %`, the larger of the two scenarios' median losses at 0.01.
 *
 * Spans go over OTLP/HTTP (protobuf, the default encoding) to a sink in this process that reads and
 * discards them, so the export cost is the services' own (serializing, batching, HTTP) and not a
 * collector's.
 *
 *   node loadtest/tracing/bench.mjs [--scenario both|chat|typing] [--modes off,off,0.01,1] [--cycles 10]
 *     [--warmup 30] [--settle 0.5] [--typing-rooms 10] [--typing-window 4] [--typing-slice 3]
 *     [--chat-rooms 20] [--chat-window 2] [--chat-slice 5] [--profile]
 *
 * `chat`: `send` frames, stored by the router in MongoDB (acked, delivered). `typing`: typing frames,
 * gateway A → broker → gateway B with no store, the messaging path alone (the router is idle there).
 * `--profile`: every service writes a V8 CPU profile (`--cpu-prof`) into loadtest/reports/tracing-<time>/,
 * one file per scenario, mode and process (read them with loadtest/dist/tools/profile-top.js).
 *
 * Needs the built services (`pnpm exec turbo run build`) and RabbitMQ/MongoDB as for the tests
 * (AMQP_URL, MONGO_URL). Writes loadtest/reports/tracing-<time>.json and prints a Markdown table per scenario.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { loadavg } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  freePort,
  removeStackNamespace,
  serviceEnv,
  startService,
  tokenFor,
  uniqueNamespace,
} from '@coffeechat/testkit';
import WebSocket from 'ws';
import { profileTables } from './profile-slices.mjs';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    'typing-rooms': { type: 'string', default: '10' },
    'typing-window': { type: 'string', default: '4' },
    'typing-slice': { type: 'string', default: '3' },
    'chat-rooms': { type: 'string', default: '20' },
    'chat-window': { type: 'string', default: '2' },
    'chat-slice': { type: 'string', default: '5' },
    modes: { type: 'string', default: 'off,off,0.01,1' },
    cycles: { type: 'string', default: '10' },
    warmup: { type: 'string', default: '30' },
    settle: { type: 'string', default: '0.5' },
    partitions: { type: 'string', default: '4' },
    scenario: { type: 'string', default: 'both' },
    profile: { type: 'boolean', default: false },
  },
});
if (!['both', 'chat', 'typing'].includes(args.scenario)) throw new Error('--scenario both|chat|typing');
/** typing first: it is the lighter load, and the one where the services' CPU is the limit */
const SCENARIOS = (args.scenario === 'both' ? ['typing', 'chat'] : [args.scenario]).map((name) => ({
  name,
  rooms: Number(args[`${name}-rooms`]),
  window: Number(args[`${name}-window`]),
  sliceSeconds: Number(args[`${name}-slice`]),
}));
const CYCLES = Number(args.cycles);
const WARMUP = Number(args.warmup);
const SETTLE = Number(args.settle);
const PARTITIONS = Number(args.partitions);
const IDLE_SECONDS = 3;
const DRAIN_MS = 15_000;
const STAMP = new Date().toISOString().replace(/[:.]/g, '-');
const REPORTS = path.join(HERE, '..', 'reports');
const PROFILE_DIR = args.profile ? path.join(REPORTS, `tracing-${STAMP}`) : undefined;

// The services inherit this process's environment: tracing settings must come only from the mode.
for (const key of Object.keys(process.env)) if (key.startsWith('OTEL_')) delete process.env[key];

/** `off` or a sample ratio; a repeated mode gets a suffix (`off (2)`): an A/A check. */
function parseModes(list) {
  const seen = new Map();
  return list.split(',').map((token) => {
    const t = token.trim();
    const ratio = t === 'off' ? undefined : Number(t);
    if (ratio !== undefined && !(ratio >= 0 && ratio <= 1))
      throw new Error(`--modes: "${t}" is neither off nor a ratio`);
    const base = ratio === undefined ? 'off' : `sampler ${t}`;
    const n = (seen.get(base) ?? 0) + 1;
    seen.set(base, n);
    return { name: n === 1 ? base : `${base} (${n})`, ratio, tag: `${base.replace(/\W+/g, '')}${n === 1 ? '' : n}` };
  });
}
const MODES = parseModes(args.modes);
if (MODES[0].ratio !== undefined) throw new Error('--modes: the first mode is the baseline and must be off');
const TARGET = MODES.find((m) => m.ratio === 0.01 && !m.name.includes('('));

/** Counts what the exporters send; answers like a collector, decodes nothing. */
async function startSink() {
  const stats = { requests: 0, bytes: 0 };
  const server = http.createServer((req, res) => {
    req.on('data', (chunk) => {
      stats.bytes += chunk.length;
    });
    req.on('end', () => {
      stats.requests += 1;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${server.address().port}`,
    bytes: () => stats.bytes,
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

const tracingEnv = (mode, sink) =>
  mode.ratio === undefined
    ? {}
    : {
        OTEL_EXPORTER_OTLP_ENDPOINT: sink,
        OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
        OTEL_TRACES_SAMPLER_ARG: String(mode.ratio),
      };

/** CPU time a process has used so far, in ms (Linux: utime + stime from /proc, in clock ticks of 10 ms). */
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
}

function median(xs) {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
}

/** p25, p75 (linear interpolation), min, max */
function spread(xs) {
  const s = xs.filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (s.length === 0) return { p25: Number.NaN, p75: Number.NaN, min: Number.NaN, max: Number.NaN };
  const at = (q) => {
    const i = q * (s.length - 1);
    const lo = Math.floor(i);
    return s[lo] + (s[Math.min(lo + 1, s.length - 1)] - s[lo]) * (i - lo);
  };
  return { p25: at(0.25), p75: at(0.75), min: s[0], max: s[s.length - 1] };
}

function openSocket(port, token) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${token}`);
    ws.once('error', reject);
    ws.once('message', () => resolve(ws)); // hello
  });
}

function waitFor(ws, match, timeoutMs = 10_000) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      ws.off('message', onMessage);
      reject(new Error('timed out'));
    }, timeoutMs);
    const onMessage = (data) => {
      const frame = JSON.parse(String(data));
      if (match(frame)) {
        clearTimeout(timer);
        ws.off('message', onMessage);
        resolve(frame);
      }
    };
    ws.on('message', onMessage);
  });
}

/** Joins `roomId`, again after an error or a timeout (the machine may be busy while the stack warms up). */
async function join(ws, roomId) {
  for (let attempt = 1; ; attempt++) {
    const reply = waitFor(ws, (f) => (f.type === 'joined' || f.type === 'error') && f.roomId === roomId);
    ws.send(JSON.stringify({ type: 'join', roomId }));
    const frame = await reply.catch(() => undefined);
    if (frame?.type === 'joined') return;
    if (attempt === 5) throw new Error(`could not join ${roomId}: ${JSON.stringify(frame)}`);
  }
}

/**
 * The closed-loop load on one stack, switched on for a slice and off again (then drained: every frame in
 * flight answered, so the next slice on another stack starts from an idle machine).
 */
function loadDriver(scenario, pairs) {
  const d = {
    active: false,
    measuring: false,
    inflight: 0,
    /** every message answered over the stack's life (warm-up included): what a profile's CPU is divided by */
    total: 0,
    count: 0,
    errors: 0,
    ackLat: [],
    deliverLat: [],
    kick: [],
  };
  for (const [i, { roomId, a, b }] of pairs.entries()) {
    if (scenario.name === 'typing') {
      // typing frames go gateway A → delivery exchange → gateway B, no store: the messaging path alone
      const pending = [];
      const typeNext = () => {
        if (!d.active) return;
        pending.push(performance.now());
        d.inflight += 1;
        a.send(JSON.stringify({ type: 'typing', roomId }));
      };
      const answered = (delivered) => {
        const t0 = pending.shift();
        d.inflight -= 1;
        if (delivered) d.total += 1;
        if (d.measuring && t0 !== undefined) {
          if (delivered) {
            d.count += 1;
            d.deliverLat.push(performance.now() - t0);
          } else d.errors += 1;
        }
        typeNext();
      };
      b.on('message', (data) => {
        if (JSON.parse(String(data)).type === 'typing') answered(true);
      });
      a.on('message', (data) => {
        if (JSON.parse(String(data)).type === 'error') answered(false);
      });
      d.kick.push(() => {
        for (let w = 0; w < scenario.window; w++) typeNext();
      });
      continue;
    }
    let n = 0;
    const sentAt = new Map();
    const sendNext = () => {
      if (!d.active) return;
      const clientMsgId = `${i}-${n++}`;
      sentAt.set(clientMsgId, performance.now());
      d.inflight += 1;
      a.send(
        JSON.stringify({ type: 'send', roomId, clientMsgId, body: `message ${clientMsgId} of the tracing benchmark` }),
      );
    };
    a.on('message', (data) => {
      const f = JSON.parse(String(data));
      if (f.type !== 'ack' && f.type !== 'error') return;
      const t0 = sentAt.get(f.clientMsgId);
      d.inflight -= 1;
      if (f.type === 'ack') d.total += 1;
      if (d.measuring && t0 !== undefined) {
        if (f.type === 'ack') {
          d.count += 1;
          d.ackLat.push(performance.now() - t0);
        } else d.errors += 1;
      }
      if (f.type === 'error') sentAt.delete(f.clientMsgId);
      sendNext();
    });
    b.on('message', (data) => {
      const f = JSON.parse(String(data));
      if (f.type !== 'message') return;
      const t0 = sentAt.get(f.clientMsgId);
      if (d.measuring && t0 !== undefined) d.deliverLat.push(performance.now() - t0);
      sentAt.delete(f.clientMsgId);
    });
    d.kick.push(() => {
      for (let w = 0; w < scenario.window; w++) sendNext();
    });
  }
  return {
    state: d,
    start() {
      d.active = true;
      for (const k of d.kick) k();
    },
    async stop() {
      d.active = false;
      d.measuring = false;
      const deadline = Date.now() + DRAIN_MS;
      while (d.inflight > 0 && Date.now() < deadline) await sleep(20);
      if (d.inflight > 0) {
        // lost frames (a busy broker timed them out): the next slice starts its window afresh
        process.stderr.write(`  ${d.inflight} frames never answered, dropped\n`);
        d.inflight = 0;
      }
    },
  };
}

/** One stack (router, two gateways, presence) in its own namespace and database, with its rooms joined. */
async function startStack(scenario, mode) {
  // a sink per stack: spans are exported up to seconds after their slice, while another stack is loaded
  const sink = await startSink();
  const ns = uniqueNamespace('trbench');
  const env = {
    ...serviceEnv(ns),
    ROUTER_PARTITIONS: String(PARTITIONS),
    GATEWAY_SENDS_PER_SEC: '100000',
    GATEWAY_TYPING_PER_SEC: '100000',
    LOG_LEVEL: 'warn',
    ...tracingEnv(mode, sink.endpoint),
  };
  const profiled = (name) =>
    PROFILE_DIR
      ? [
          '--cpu-prof',
          `--cpu-prof-dir=${PROFILE_DIR}`,
          `--cpu-prof-name=${scenario.name}-${mode.tag}-${name}.cpuprofile`,
        ]
      : [];
  const stack = { mode, ns, sink, procs: [], others: [], sockets: [] };
  try {
    const start = (service, name) =>
      freePort().then((port) => startService(service, port, env, { readyTimeoutMs: 90_000, nodeArgs: profiled(name) }));
    const router = await start('message-router', 'router');
    stack.procs.push(router);
    stack.procs.push(await start('gateway', 'gatewayA'), await start('gateway', 'gatewayB'));
    const [, gwA, gwB] = stack.procs;
    // presence too: gateways report connections and ask it for the members' status on join (its CPU is
    // not counted below; it sees connections, not messages)
    stack.others.push(await start('presence', 'presence'));
    const admin = await tokenFor('ops', { admin: true });
    const pairs = [];
    // one room at a time: the stack is cold, the machine shared
    for (let i = 0; i < scenario.rooms; i++) {
      const sender = `s${i}`;
      const receiver = `r${i}`;
      const res = await fetch(`http://127.0.0.1:${router.port}/rooms`, {
        method: 'POST',
        headers: { authorization: `Bearer ${admin}`, 'content-type': 'application/json' },
        body: JSON.stringify({ memberIds: [sender, receiver] }),
      });
      if (res.status !== 201) throw new Error(`POST /rooms → ${res.status} ${await res.text()}`);
      const { roomId } = await res.json();
      const a = await openSocket(gwA.port, await tokenFor(sender));
      const b = await openSocket(gwB.port, await tokenFor(receiver));
      stack.sockets.push(a, b);
      await Promise.all([join(a, roomId), join(b, roomId)]);
      pairs.push({ roomId, a, b });
    }
    stack.driver = loadDriver(scenario, pairs);
    return stack;
  } catch (err) {
    await stopStack(stack);
    throw err;
  }
}

async function stopStack(stack) {
  for (const ws of stack.sockets) ws.terminate();
  await Promise.all([...stack.procs, ...stack.others].map((p) => p.stop()));
  await removeStackNamespace(stack.ns, PARTITIONS).catch(() => undefined);
  await stack.sink.close();
}

const cpuOf = (stack) => stack.procs.map((p) => cpuMs(p.child.pid));

/** The load on `stack` for one slice: settle, measure, stop and drain. */
async function slice(stack, seconds) {
  const { driver, sink } = stack;
  const d = driver.state;
  driver.start();
  await sleep(SETTLE * 1000);
  d.count = 0;
  d.errors = 0;
  const bytesBefore = sink.bytes();
  const cpuBefore = cpuOf(stack);
  d.measuring = true;
  const started = performance.now();
  // the monotonic clock in µs, the one V8's CPU profiles are stamped with (profile-slices.mjs)
  const fromUs = Number(process.hrtime.bigint() / 1000n);
  await sleep(seconds * 1000);
  d.measuring = false;
  const toUs = Number(process.hrtime.bigint() / 1000n);
  const elapsed = (performance.now() - started) / 1000;
  const cpu = cpuOf(stack).map((c, i) => c - cpuBefore[i] - stack.idleMsPerSec[i] * elapsed);
  const out = {
    throughput: d.count / elapsed,
    messages: d.count,
    errors: d.errors,
    // µs of CPU per message handled (acked, or typing frame delivered), beyond what the process spends idle
    cpuUsPerMsg: {
      router: (cpu[0] * 1000) / Math.max(1, d.count),
      gatewayA: (cpu[1] * 1000) / Math.max(1, d.count),
      gatewayB: (cpu[2] * 1000) / Math.max(1, d.count),
    },
    // what this stack exported during the slice (spans of the slice before may be in it, some of this
    // slice's are exported in the next: it evens out over the cycles)
    exportKiBPerSec: (sink.bytes() - bytesBefore) / 1024 / elapsed,
    loadavg1m: loadavg()[0],
    fromUs,
    toUs,
  };
  await driver.stop();
  return out;
}

async function runScenario(scenario) {
  const stacks = [];
  try {
    for (const mode of MODES) {
      process.stderr.write(`${scenario.name}: starting the stack with tracing ${mode.name} …\n`);
      stacks.push(await startStack(scenario, mode));
    }
    // What the processes burn with nothing to do (timers, heartbeats, polling), subtracted per slice so the
    // per-message figure is the marginal cost of a message.
    const idleBefore = stacks.map(cpuOf);
    await sleep(IDLE_SECONDS * 1000);
    for (const [i, s] of stacks.entries())
      s.idleMsPerSec = cpuOf(s).map((c, j) => (c - idleBefore[i][j]) / IDLE_SECONDS);
    // Long, because at a ratio of 0.01 the sampled path runs once in a hundred frames: V8 optimizes it only
    // after about a thousand sampled traces (~100,000 frames), and until then each costs several times
    // what it does in a service that has been up for a while (loadtest/tracing/README.md).
    for (const s of stacks) {
      process.stderr.write(`${scenario.name}: warming up ${s.mode.name} …\n`);
      s.driver.start();
      await sleep(WARMUP * 1000);
      await s.driver.stop();
    }
    const slices = [];
    for (let cycle = 0; cycle < CYCLES; cycle++) {
      // the order rotates, so no mode always runs first (after the drain) or last
      const order = stacks.map((_, i) => stacks[(i + cycle) % stacks.length]);
      const line = [];
      for (const s of order) {
        const r = await slice(s, scenario.sliceSeconds);
        slices.push({ scenario: scenario.name, cycle, mode: s.mode.name, ...r });
        line.push(`${s.mode.name} ${r.throughput.toFixed(0)}`);
      }
      process.stderr.write(
        `  cycle ${cycle + 1}/${CYCLES}: ${line.join(', ')} msg/s (load ${loadavg()[0].toFixed(1)})\n`,
      );
    }
    const totals = Object.fromEntries(stacks.map((s) => [s.mode.name, s.driver.state.total]));
    const latencies = Object.fromEntries(
      stacks.map((s) => {
        const ack = [...s.driver.state.ackLat].sort((x, y) => x - y);
        const del = [...s.driver.state.deliverLat].sort((x, y) => x - y);
        return [
          s.mode.name,
          {
            ackP50: percentile(ack, 50),
            ackP99: percentile(ack, 99),
            deliverP50: percentile(del, 50),
            deliverP99: percentile(del, 99),
          },
        ];
      }),
    );
    return { slices, latencies, totals };
  } finally {
    await Promise.all(stacks.map(stopStack));
  }
}

const fmt = (v, digits = 1) => (Number.isNaN(v) ? '–' : v.toFixed(digits));
const ms = (v) => (Number.isNaN(v) ? '–' : `${v.toFixed(1)} ms`);
const signed = (v) => (Number.isNaN(v) ? '–' : `${v >= 0 ? '+' : ''}${v.toFixed(1)} %`);

/** Per cycle: the loss of `mode`'s throughput against that cycle's "off" (positive: tracing was slower). */
function lossesPerCycle(slices, mode) {
  const base = MODES[0].name;
  const out = [];
  for (let c = 0; c < CYCLES; c++) {
    const off = slices.find((s) => s.cycle === c && s.mode === base);
    const it = slices.find((s) => s.cycle === c && s.mode === mode);
    if (off && it && off.throughput > 0) out.push((1 - it.throughput / off.throughput) * 100);
  }
  return out;
}

function summarize(scenario, { slices, latencies }) {
  const summary = MODES.map(({ name }) => {
    const own = slices.filter((s) => s.mode === name);
    const losses = name === MODES[0].name ? [] : lossesPerCycle(slices, name);
    const cpu = (k) => median(own.map((s) => s.cpuUsPerMsg[k]));
    return {
      mode: name,
      throughput: median(own.map((s) => s.throughput)),
      throughputSpread: spread(own.map((s) => s.throughput)),
      loss: name === MODES[0].name ? 0 : median(losses),
      lossSpread: spread(losses),
      losses,
      cpuUsPerMsg: { router: cpu('router'), gatewayA: cpu('gatewayA'), gatewayB: cpu('gatewayB') },
      // a mean: spans go out in batches every few seconds, so most slices export nothing or a lot
      exportKiBPerSec: own.reduce((sum, s) => sum + s.exportKiBPerSec, 0) / Math.max(1, own.length),
      errors: own.reduce((n, s) => n + s.errors, 0),
      ...latencies[name],
    };
  });
  const [off] = summary;
  const total = (s) => s.cpuUsPerMsg.router + s.cpuUsPerMsg.gatewayA + s.cpuUsPerMsg.gatewayB;
  const loads = slices.map((s) => s.loadavg1m);
  const lines = [
    `scenario ${scenario.name}: ${scenario.rooms} rooms (sender on gateway A, receiver on gateway B), ${scenario.window} in flight per sender, ` +
      `${CYCLES} cycles of one ${scenario.sliceSeconds} s slice per mode (after ${SETTLE} s to fill the window), ${PARTITIONS} partitions; ` +
      `1-min load average during the slices ${fmt(Math.min(...loads))}–${fmt(Math.max(...loads))} (median ${fmt(median(loads))})`,
    '',
    '| tracing | msg/s (median of slices) | loss vs off (median of cycles) | loss IQR | loss min–max | p50 send→ack | p99 send→ack | p99 send→deliver | CPU µs/msg gateway A | gateway B | router | total vs off | OTLP export |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...summary.map((s) => {
      const first = s === off;
      return (
        `| ${s.mode} | ${fmt(s.throughput, 0)} (${fmt(s.throughputSpread.min, 0)}–${fmt(s.throughputSpread.max, 0)}) | ` +
        `${first ? '' : `${fmt(s.loss)} %`} | ${first ? '' : `${fmt(s.lossSpread.p25)} … ${fmt(s.lossSpread.p75)} %`} | ` +
        `${first ? '' : `${fmt(s.lossSpread.min)} … ${fmt(s.lossSpread.max)} %`} | ${ms(s.ackP50)} | ${ms(s.ackP99)} | ${ms(s.deliverP99)} | ` +
        `${fmt(s.cpuUsPerMsg.gatewayA)} | ${fmt(s.cpuUsPerMsg.gatewayB)} | ${fmt(s.cpuUsPerMsg.router)} | ` +
        `${first ? '' : signed(((total(s) - total(off)) / total(off)) * 100)} | ${fmt(s.exportKiBPerSec, 0)} KiB/s |`
      );
    }),
    '',
    ...summary
      .filter((s) => s !== off)
      .map((s) => `Loss per cycle, ${s.mode}: ${s.losses.map((l) => fmt(l)).join(', ')} %`),
    '',
  ];
  return { summary, lines };
}

mkdirSync(REPORTS, { recursive: true });
if (PROFILE_DIR) mkdirSync(PROFILE_DIR, { recursive: true });
const results = {};
const failures = [];
for (const scenario of SCENARIOS) {
  try {
    results[scenario.name] = await runScenario(scenario);
  } catch (err) {
    // a stack that would not come up on a busy machine: note it, keep the other scenario
    process.stderr.write(`  ${scenario.name} failed: ${err.message}\n`);
    failures.push({ scenario: scenario.name, error: err.message });
  }
}

const lines = [];
const summaries = {};
const overheads = [];
for (const scenario of SCENARIOS) {
  const result = results[scenario.name];
  if (!result) continue;
  const { summary, lines: own } = summarize(scenario, result);
  summaries[scenario.name] = summary;
  lines.push(...own);
  const at = summary.find((s) => s.mode === TARGET?.name);
  if (at) overheads.push({ scenario: scenario.name, loss: at.loss, iqr: [at.lossSpread.p25, at.lossSpread.p75] });
}
if (PROFILE_DIR) {
  // the profiles are written when the services exit, at the end of their scenario
  for (const scenario of SCENARIOS) {
    const result = results[scenario.name];
    if (!result || !TARGET) continue;
    lines.push(
      ...profileTables({
        dir: PROFILE_DIR,
        scenario: scenario.name,
        modes: MODES,
        slices: result.slices,
        processes: scenario.name === 'typing' ? ['gatewayA', 'gatewayB'] : ['gatewayA', 'gatewayB', 'router'],
        base: MODES[0].name,
        compared: TARGET.name,
      }),
    );
  }
}
for (const o of overheads)
  lines.push(
    `overhead at 0.01, ${o.scenario}: ${fmt(o.loss)} % (IQR of the cycles ${fmt(o.iqr[0])} … ${fmt(o.iqr[1])} %)`,
  );
const file = path.join(REPORTS, `tracing-${STAMP}.json`);
writeFileSync(
  file,
  `${JSON.stringify(
    {
      settings: { SCENARIOS, MODES, CYCLES, WARMUP, SETTLE, PARTITIONS, profileDir: PROFILE_DIR },
      results,
      failures,
      summaries,
      overheads,
    },
    null,
    2,
  )}\n`,
);
process.stderr.write(
  `wrote ${path.relative(process.cwd(), file)}${PROFILE_DIR ? ` and profiles in ${path.relative(process.cwd(), PROFILE_DIR)}` : ''}\n`,
);
// the last line: the worse of the scenarios (a loss; negative means tracing's slices were the faster ones)
if (overheads.length > 0) lines.push(`overhead at 0.01: ${fmt(Math.max(...overheads.map((o) => o.loss)))} %`);
console.log(lines.join('\n'));
if (failures.length > 0) process.exitCode = 1;
