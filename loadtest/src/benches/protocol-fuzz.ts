/**
 * The long run of the protocol fuzzer (issue 13): a router, presence and a gateway as processes on the
 * machine's servers, then `runProtocolFuzz` (packages/testkit) with 100,000 random and mutated frames over
 * many connections, in rounds. Passes when the gateway is alive and healthy afterwards, logged no unhandled
 * rejection, answered every frame that does not parse with BAD_REQUEST, wrote only documented frames and
 * close codes, held no connection afterwards, and its heap stayed flat: measured after each round (and 5 s
 * of quiet), the lowest of the later half of the rounds is within 10 MiB of the first round's (V8 collects
 * when it chooses, so a round may end high; a leak raises the floor with every round).
 *
 *   npm run bench -- protocol-fuzz [--frames=100000] [--rounds=5] [--workers=32] [--seed=1]
 *
 * Writes loadtest/reports/protocol-fuzz-<time>.json and prints a summary; docs/security.md quotes it.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ChatStack,
  type ProtocolFuzzReport,
  runProtocolFuzz,
  type Sample,
  sampleSum,
  scrapeMetrics,
  tokenFor,
} from '@coffeechat/testkit';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const arg = (name: string, fallback: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3) ?? fallback;
const frames = Number(arg('frames', '100000'));
const workers = Number(arg('workers', '32'));
const rounds = Number(arg('rounds', '5'));
const seed = Number(arg('seed', '1'));
const users = Array.from({ length: workers * 3 }, (_, i) => `fuzz-${i}`);

const memory = (samples: readonly Sample[]) => ({
  heapMb: sampleSum(samples, 'nodejs_heap_size_used_bytes') / 2 ** 20,
  rssMb: sampleSum(samples, 'process_resident_memory_bytes') / 2 ** 20,
  connections: sampleSum(samples, 'coffeechat_gateway_connections'),
});

async function main(): Promise<number> {
  const stack = await ChatStack.start({ label: 'fuzzbench', routers: 1, gateways: 1 });
  try {
    // joins wait for presence (or its deadline): with it, accepted joins answer while the fuzzing connection lives
    await stack.startService('presence');
    const gateway = stack.gateways[0];
    if (!gateway) throw new Error('no gateway');
    const rooms: string[] = [];
    for (let i = 0; i * 4 < users.length; i++)
      rooms.push((await stack.createRoom(users.slice(i * 4, i * 4 + 4))).roomId);
    const before = memory(await scrapeMetrics(gateway.port));
    console.log(
      `[fuzz] ${frames} frames in ${rounds} rounds, ${workers} connections at once, seed ${seed}; gateway heap ${before.heapMb.toFixed(1)} MiB`,
    );
    const perRound: ProtocolFuzzReport[] = [];
    const afterRound: ReturnType<typeof memory>[] = [];
    for (let round = 0; round < rounds; round++) {
      perRound.push(
        await runProtocolFuzz({
          url: stack.wsUrl(0),
          token: (userId) => tokenFor(userId),
          users,
          rooms,
          homeRoom: (userId) => rooms[Math.floor(users.indexOf(userId) / 4)],
          frames: Math.ceil(frames / rounds),
          workers,
          seed: seed + round * 1_000_003,
        }),
      );
      await new Promise((r) => setTimeout(r, 5000));
      afterRound.push(memory(await scrapeMetrics(gateway.port)));
      const m = afterRound.at(-1);
      console.log(`[fuzz] round ${round + 1}: heap ${m?.heapMb.toFixed(1)} MiB, RSS ${m?.rssMb.toFixed(0)} MiB`);
    }
    const report = merge(perRound);
    const first = afterRound[0] ?? before;
    const after = afterRound.at(-1) ?? before;
    // V8 collects when it chooses, so a round may end high: a leak shows as a floor that rises (later half)
    const floor = Math.min(...afterRound.slice(Math.floor(rounds / 2)).map((m) => m.heapMb));
    const alive = gateway.child.exitCode === null && (await fetch(`http://127.0.0.1:${gateway.port}/healthz`)).ok;
    const unhandled = /unhandled|uncaught/i.test(gateway.output());
    const failures = [
      ...(alive ? [] : ['the gateway is not alive']),
      ...(unhandled ? ['the gateway logged an unhandled rejection or exception'] : []),
      ...(report.undocumented.length > 0 ? [`undocumented: ${report.undocumented.join(' | ')}`] : []),
      ...(report.unansweredBadFrames > 0 ? [`${report.unansweredBadFrames} bad frames unanswered`] : []),
      ...(report.stalls > 0 ? [`${report.stalls} bursts without a pong`] : []),
      ...(floor > first.heapMb + 10
        ? [`heap floor rose ${first.heapMb.toFixed(1)} → ${floor.toFixed(1)} MiB over the rounds`]
        : []),
      ...(after.connections > 0 ? [`${after.connections} connections still open`] : []),
    ];
    const result = {
      at: new Date().toISOString(),
      params: { frames, rounds, workers, seed, users: users.length, rooms: rooms.length },
      report,
      memory: { before, afterEachRound: afterRound },
      gateway: { alive, unhandled },
      failures,
    };
    const dir = path.join(ROOT, 'loadtest', 'reports');
    mkdirSync(dir, { recursive: true });
    const file = path.join(dir, `protocol-fuzz-${result.at.replaceAll(':', '-').replaceAll('.', '-')}.json`);
    writeFileSync(file, `${JSON.stringify(result, null, 2)}\n`);
    const rate = Math.round(report.frames / (report.durationMs / 1000));
    console.log(
      `[fuzz] ${report.frames} frames (${report.badFrames} bad, ${report.oversize} over 64 KiB, ${report.binary} binary) over ${report.connections} connections (${report.homeJoins} joined their room first) in ${(report.durationMs / 1000).toFixed(1)} s (${rate}/s); ${report.upgradesRefused} upgrades refused (429)`,
    );
    console.log(`[fuzz] closes by code: ${JSON.stringify(report.closes)}`);
    console.log(`[fuzz] answers: ${JSON.stringify(report.answers)}`);
    console.log(
      `[fuzz] gateway heap before ${before.heapMb.toFixed(1)} MiB, after each round ${afterRound.map((m) => m.heapMb.toFixed(1)).join(' → ')} MiB; RSS ${afterRound.map((m) => m.rssMb.toFixed(0)).join(' → ')} MiB; ${after.connections} connections open; alive ${alive}`,
    );
    console.log(`[fuzz] report: ${file}`);
    console.log(failures.length === 0 ? '[fuzz] passed' : `[fuzz] FAILED: ${failures.join('; ')}`);
    return failures.length === 0 ? 0 : 1;
  } finally {
    await stack.stop();
  }
}

/** The rounds' reports as one: counts added, the first undocumented findings kept. */
function merge(reports: readonly ProtocolFuzzReport[]): ProtocolFuzzReport {
  const sum = (pick: (r: ProtocolFuzzReport) => number) => reports.reduce((n, r) => n + pick(r), 0);
  const add = (pick: (r: ProtocolFuzzReport) => Record<string, number>) => {
    const out: Record<string, number> = {};
    for (const r of reports) for (const [k, v] of Object.entries(pick(r))) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  return {
    frames: sum((r) => r.frames),
    badFrames: sum((r) => r.badFrames),
    oversize: sum((r) => r.oversize),
    binary: sum((r) => r.binary),
    connections: sum((r) => r.connections),
    upgradesRefused: sum((r) => r.upgradesRefused),
    homeJoins: sum((r) => r.homeJoins),
    answers: add((r) => r.answers),
    closes: add((r) => r.closes),
    undocumented: reports.flatMap((r) => r.undocumented).slice(0, 20),
    unansweredBadFrames: sum((r) => r.unansweredBadFrames),
    stalls: sum((r) => r.stalls),
    durationMs: sum((r) => r.durationMs),
  };
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    console.error(`[fuzz] ${err.stack ?? err.message}`);
    process.exit(1);
  },
);
