#!/usr/bin/env node
/**
 * What tracing costs, in one run: for each scenario (typing, then chat) the message-router and two gateways
 * are started three times (tracing off; OTLP export with a parent-based ratio sampler at 0.01; at 1.0),
 * each time with the same closed-loop load (senders on gateway A keep a window of frames in flight to
 * receivers on gateway B), and the report compares messages per second, p50/p99 send→ack and
 * send→deliver, and CPU per message. It ends with `overhead at 0.01: X %`: the larger of the two
 * scenarios' throughput losses at 0.01 against tracing off (each the median over rounds of the loss within
 * a round, so drift between rounds cancels).
 *
 * Spans go over OTLP/HTTP (protobuf, the default encoding) to a sink in this process that reads and
 * discards them, so the export cost is the services' own (serializing, batching, HTTP) and not a
 * collector's. Rounds repeat the three modes in turn, so drift on a shared machine hits all of them.
 *
 *   node loadtest/tracing/bench.mjs [--scenario both|chat|typing] [--rounds 3] [--warmup 3]
 *     [--typing-rooms 10] [--typing-window 4] [--typing-seconds 10] [--chat-rooms 20] [--chat-window 2] [--chat-seconds 20]
 *
 * `chat`: `send` frames, stored by the router in MongoDB (acked, delivered). `typing`: typing frames,
 * gateway A → broker → gateway B with no store, the messaging path alone. Besides throughput and latency
 * the report gives the CPU time the router and gateways spent per message, which shows the cost of
 * tracing even when the store, not the services, limits throughput.
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

const HERE = path.dirname(fileURLToPath(import.meta.url));
const { values: args } = parseArgs({
  options: {
    'typing-rooms': { type: 'string', default: '10' },
    'typing-window': { type: 'string', default: '4' },
    'typing-seconds': { type: 'string', default: '10' },
    'chat-rooms': { type: 'string', default: '20' },
    'chat-window': { type: 'string', default: '2' },
    'chat-seconds': { type: 'string', default: '20' },
    warmup: { type: 'string', default: '3' },
    rounds: { type: 'string', default: '3' },
    partitions: { type: 'string', default: '4' },
    scenario: { type: 'string', default: 'both' },
  },
});
if (!['both', 'chat', 'typing'].includes(args.scenario)) throw new Error('--scenario both|chat|typing');
/** typing first: it is the lighter load, and the one where the services' CPU is the limit */
const SCENARIOS = (args.scenario === 'both' ? ['typing', 'chat'] : [args.scenario]).map((name) => ({
  name,
  rooms: Number(args[`${name}-rooms`]),
  window: Number(args[`${name}-window`]),
  seconds: Number(args[`${name}-seconds`]),
}));
const WARMUP = Number(args.warmup);
const ROUNDS = Number(args.rounds);
const PARTITIONS = Number(args.partitions);
const IDLE_SECONDS = 3;

// The services inherit this process's environment: tracing settings must come only from the mode.
for (const key of Object.keys(process.env)) if (key.startsWith('OTEL_')) delete process.env[key];

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
    take: () => {
      const out = { ...stats };
      stats.requests = 0;
      stats.bytes = 0;
      return out;
    },
    close: () => new Promise((resolve) => server.close(resolve)),
  };
}

const modes = (sink) => [
  { name: 'off', env: {} },
  {
    name: 'sampler 0.01',
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: sink,
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.01',
    },
  },
  {
    name: 'sampler 1.0',
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: sink,
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '1',
    },
  },
];

/** CPU time a process has used so far, in ms (Linux: utime + stime from /proc, in clock ticks of 10 ms). */
function cpuMs(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

function percentile(sorted, p) {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)];
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

async function runMode(scenario, mode, sink) {
  const ns = uniqueNamespace('trbench');
  const env = {
    ...serviceEnv(ns),
    ROUTER_PARTITIONS: String(PARTITIONS),
    GATEWAY_SENDS_PER_SEC: '100000',
    GATEWAY_TYPING_PER_SEC: '100000',
    LOG_LEVEL: 'warn',
    ...mode.env,
  };
  const procs = [];
  const others = [];
  const sockets = [];
  try {
    const router = await startService('message-router', await freePort(), env, { readyTimeoutMs: 60_000 });
    procs.push(router);
    const [gwA, gwB] = await Promise.all([
      startService('gateway', await freePort(), env, { readyTimeoutMs: 60_000 }),
      startService('gateway', await freePort(), env, { readyTimeoutMs: 60_000 }),
    ]);
    procs.push(gwA, gwB);
    // presence too: gateways report connections and ask it for the members' status on join (its CPU is
    // not counted below; it sees connections, not messages)
    others.push(await startService('presence', await freePort(), env, { readyTimeoutMs: 60_000 }));
    const admin = await tokenFor('ops', { admin: true });

    const sentAt = new Map();
    const ackLat = [];
    const deliverLat = [];
    let measuring = false;
    let sending = true;
    let acked = 0;
    let errors = 0;

    // one room at a time: the stack is cold, the machine shared
    const setUpRoom = async (i) => {
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
      sockets.push(a, b);
      await Promise.all([join(a, roomId), join(b, roomId)]);
      return { roomId, a, b };
    };
    const pairs = [];
    for (let i = 0; i < scenario.rooms; i++) pairs.push(await setUpRoom(i));

    // What the processes burn with nothing to do (timers, heartbeats, polling), subtracted below so the
    // per-message figure is the marginal cost of a message.
    const idleBefore = procs.map((p) => cpuMs(p.child.pid));
    await new Promise((r) => setTimeout(r, IDLE_SECONDS * 1000));
    const idleMsPerSec = procs.reduce((sum, p, i) => sum + cpuMs(p.child.pid) - idleBefore[i], 0) / IDLE_SECONDS;

    for (const [i, { roomId, a, b }] of pairs.entries()) {
      if (scenario.name === 'typing') {
        // typing frames go gateway A → delivery exchange → gateway B, no store: the messaging path alone
        const pending = [];
        const typeNext = () => {
          if (!sending) return;
          pending.push(performance.now());
          a.send(JSON.stringify({ type: 'typing', roomId }));
        };
        b.on('message', (data) => {
          const f = JSON.parse(String(data));
          if (f.type !== 'typing') return;
          const t0 = pending.shift();
          if (measuring && t0 !== undefined) {
            acked += 1;
            deliverLat.push(performance.now() - t0);
          }
          typeNext();
        });
        a.on('message', (data) => {
          if (JSON.parse(String(data)).type === 'error') errors += 1;
        });
        for (let w = 0; w < scenario.window; w++) typeNext();
        continue;
      }
      let n = 0;
      const sendNext = () => {
        if (!sending) return;
        const clientMsgId = `${i}-${n++}`;
        sentAt.set(`${roomId}/${clientMsgId}`, performance.now());
        a.send(
          JSON.stringify({
            type: 'send',
            roomId,
            clientMsgId,
            body: `message ${clientMsgId} of the tracing benchmark`,
          }),
        );
      };
      a.on('message', (data) => {
        const f = JSON.parse(String(data));
        if (f.type === 'ack') {
          const t0 = sentAt.get(`${f.roomId}/${f.clientMsgId}`);
          if (measuring && t0 !== undefined) {
            acked += 1;
            ackLat.push(performance.now() - t0);
          }
          sendNext();
        } else if (f.type === 'error') {
          errors += 1;
          sendNext();
        }
      });
      b.on('message', (data) => {
        const f = JSON.parse(String(data));
        if (f.type !== 'message') return;
        const key = `${f.roomId}/${f.clientMsgId}`;
        const t0 = sentAt.get(key);
        if (measuring && t0 !== undefined) deliverLat.push(performance.now() - t0);
        sentAt.delete(key);
      });
      for (let w = 0; w < scenario.window; w++) sendNext();
    }

    await new Promise((r) => setTimeout(r, WARMUP * 1000));
    sink?.take();
    const cpuBefore = procs.map((p) => cpuMs(p.child.pid));
    measuring = true;
    const started = performance.now();
    await new Promise((r) => setTimeout(r, scenario.seconds * 1000));
    const elapsed = (performance.now() - started) / 1000;
    measuring = false;
    const cpu = procs.map((p, i) => cpuMs(p.child.pid) - cpuBefore[i]);
    sending = false;
    const exported = sink?.take();
    await new Promise((r) => setTimeout(r, 1000));

    ackLat.sort((x, y) => x - y);
    deliverLat.sort((x, y) => x - y);
    return {
      mode: mode.name,
      throughput: acked / elapsed,
      acked,
      errors,
      ackP50: percentile(ackLat, 50),
      ackP99: percentile(ackLat, 99),
      deliverP50: percentile(deliverLat, 50),
      deliverP99: percentile(deliverLat, 99),
      // CPU the router and both gateways spent per message handled (acked, or typing frame received),
      // beyond what they spend idle
      cpuMsPerMsg: Math.max(0, cpu.reduce((a, b) => a + b, 0) - idleMsPerSec * elapsed) / Math.max(1, acked),
      idleMsPerSec,
      cpuMs: { router: cpu[0], gatewayA: cpu[1], gatewayB: cpu[2] },
      exportKiBPerSec: exported ? exported.bytes / 1024 / elapsed : 0,
      exportRequests: exported?.requests ?? 0,
    };
  } finally {
    for (const ws of sockets) ws.terminate();
    await Promise.all([...procs, ...others].map((p) => p.stop()));
    await removeStackNamespace(ns, PARTITIONS).catch(() => undefined);
  }
}

const sink = await startSink();
const results = [];
const failures = [];
try {
  for (let round = 1; round <= ROUNDS; round++) {
    for (const scenario of SCENARIOS) {
      for (const mode of modes(sink.endpoint)) {
        process.stderr.write(`round ${round}, ${scenario.name}: ${mode.name} …\n`);
        let r;
        try {
          r = await runMode(scenario, mode, sink);
        } catch (err) {
          // a stack that would not come up on a busy machine: note it, keep the other runs
          process.stderr.write(`  failed: ${err.message}\n`);
          failures.push({ round, scenario: scenario.name, mode: mode.name, error: err.message });
          continue;
        }
        results.push({ round, scenario: scenario.name, loadavg1m: loadavg()[0], ...r });
        process.stderr.write(
          `  ${r.throughput.toFixed(0)} msg/s, ${r.cpuMsPerMsg.toFixed(3)} ms CPU/msg, p99 send→deliver ${r.deliverP99.toFixed(1)} ms\n`,
        );
      }
    }
  }
} finally {
  await sink.close();
}

const median = (xs) => {
  const s = [...xs].filter((x) => !Number.isNaN(x)).sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
/** Loss of throughput of `mode` against tracing off, per round (same round: same conditions), median. */
const lossInRounds = (scenario, mode) =>
  median(
    results
      .filter((r) => r.scenario === scenario && r.mode === mode)
      .map((r) => {
        const off = results.find((o) => o.scenario === scenario && o.round === r.round && o.mode === 'off');
        return off ? (1 - r.throughput / off.throughput) * 100 : Number.NaN;
      }),
  );
const vsOff = (value, base) => `${value >= base ? '+' : ''}${(((value - base) / base) * 100).toFixed(1)} %`;
const ms = (v) => (Number.isNaN(v) ? '–' : `${v.toFixed(1)} ms`);
const lines = [];
const overheads = [];
const summaries = {};
for (const scenario of SCENARIOS) {
  const rs = results.filter((r) => r.scenario === scenario.name);
  const summary = modes('').map(({ name }) => {
    const own = rs.filter((r) => r.mode === name);
    return {
      mode: name,
      throughput: median(own.map((r) => r.throughput)),
      lossInRounds: name === 'off' ? 0 : lossInRounds(scenario.name, name),
      ackP50: median(own.map((r) => r.ackP50)),
      ackP99: median(own.map((r) => r.ackP99)),
      deliverP99: median(own.map((r) => r.deliverP99)),
      cpuMsPerMsg: median(own.map((r) => r.cpuMsPerMsg)),
      exportKiBPerSec: median(own.map((r) => r.exportKiBPerSec)),
    };
  });
  summaries[scenario.name] = summary;
  const [off] = summary;
  lines.push(
    `scenario ${scenario.name}: ${scenario.rooms} rooms (sender on gateway A, receiver on gateway B), ${scenario.window} in flight per sender, ` +
      `${scenario.seconds} s measured after ${WARMUP} s warm-up, ${PARTITIONS} partitions; median of ${ROUNDS} rounds` +
      `${failures.some((f) => f.scenario === scenario.name) ? ` (${failures.filter((f) => f.scenario === scenario.name).length} runs failed to start)` : ''}; ` +
      `1-min load average at the runs ${rs.map((r) => r.loadavg1m.toFixed(1)).join(', ')}`,
    '',
    '| tracing | msg/s | vs off | loss in round | p50 send→ack | p99 send→ack | p99 send→deliver | CPU per msg (router + gateways) | vs off | OTLP export |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...summary.map(
      (s) =>
        `| ${s.mode} | ${s.throughput.toFixed(0)} | ${vsOff(s.throughput, off.throughput)} | ${s.lossInRounds.toFixed(1)} % | ${ms(s.ackP50)} | ${ms(s.ackP99)} | ` +
        `${ms(s.deliverP99)} | ${s.cpuMsPerMsg.toFixed(3)} ms | ${vsOff(s.cpuMsPerMsg, off.cpuMsPerMsg)} | ${s.exportKiBPerSec.toFixed(0)} KiB/s |`,
    ),
    '',
    `Per round (msg/s ${summary.map((s) => s.mode).join(' / ')}): ` +
      Array.from({ length: ROUNDS }, (_, i) =>
        summary
          .map((s) => rs.find((r) => r.round === i + 1 && r.mode === s.mode)?.throughput.toFixed(0) ?? '–')
          .join(' / '),
      ).join(', '),
    '',
  );
  overheads.push({ scenario: scenario.name, loss: lossInRounds(scenario.name, 'sampler 0.01') });
}
for (const o of overheads) lines.push(`overhead at 0.01, ${o.scenario}: ${o.loss.toFixed(1)} %`);
// the last line: the worse of the scenarios (a loss; negative means tracing's runs were the faster ones)
lines.push(`overhead at 0.01: ${Math.max(...overheads.map((o) => o.loss)).toFixed(1)} %`);
const reports = path.join(HERE, '..', 'reports');
mkdirSync(reports, { recursive: true });
const file = path.join(reports, `tracing-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
writeFileSync(
  file,
  `${JSON.stringify({ settings: { SCENARIOS, WARMUP, ROUNDS, PARTITIONS }, results, failures, summaries, overheads }, null, 2)}\n`,
);
process.stderr.write(`wrote ${path.relative(process.cwd(), file)}\n`);
console.log(lines.join('\n'));
