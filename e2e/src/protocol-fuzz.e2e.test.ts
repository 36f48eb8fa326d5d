/**
 * The live protocol fuzzer (testkit `runProtocolFuzz`) against a gateway and a router as processes: a
 * short run in every `npm test` (FUZZ_FRAMES, default 6,000); `npm run bench -- protocol-fuzz` runs
 * 100,000 and more. The gateway must not crash or log an unhandled rejection, must answer every frame that
 * does not parse with BAD_REQUEST, write only documented frames and close codes, and keep its memory.
 */
import { ChatStack, runProtocolFuzz, sampleSum, scrapeMetrics, tokenFor } from '@coffeechat/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const FRAMES = Number(process.env.FUZZ_FRAMES ?? 6000);
const USERS = Array.from({ length: 24 }, (_, i) => `fuzz-${i}`);
let stack: ChatStack;

beforeAll(async () => {
  stack = await ChatStack.start({ label: 'fuzz', routers: 1, gateways: 1 });
  // joins wait for presence (or its deadline): with it, accepted joins answer while the fuzzing connection lives
  await stack.startService('presence');
}, 120_000);

afterAll(async () => {
  await stack?.stop();
}, 60_000);

const heapMb = async () =>
  sampleSum(await scrapeMetrics(stack.gateways[0]?.port ?? 0), 'nodejs_heap_size_used_bytes') / 2 ** 20;

describe('protocol fuzzer against a running gateway', () => {
  it(`${FRAMES} random and mutated frames over many connections: every bad frame answered, nothing undocumented, no crash`, async () => {
    const rooms: string[] = [];
    for (let i = 0; i < 6; i++) rooms.push((await stack.createRoom(USERS.slice(i * 4, i * 4 + 4))).roomId);
    const heapBefore = await heapMb();
    const report = await runProtocolFuzz({
      url: stack.wsUrl(0),
      token: (userId) => tokenFor(userId),
      users: USERS,
      rooms,
      homeRoom: (userId) => rooms[Math.floor(USERS.indexOf(userId) / 4)],
      frames: FRAMES,
      workers: 12,
      seed: 42,
    });
    await new Promise((r) => setTimeout(r, 2000));
    const heapAfter = await heapMb();
    const gateway = stack.gateways[0];
    console.log(
      `[fuzz] ${report.frames} frames (${report.badFrames} bad, ${report.oversize} over 64 KiB, ${report.binary} binary) over ${report.connections} connections (${report.homeJoins} joined their room first) in ${report.durationMs} ms; closes ${JSON.stringify(report.closes)}; heap ${heapBefore.toFixed(1)} → ${heapAfter.toFixed(1)} MiB; answers ${JSON.stringify(report.answers)}`,
    );
    expect(report.undocumented).toEqual([]);
    expect(report.homeJoins).toBeGreaterThan(report.connections / 2);
    expect(report.answers.ack).toBeGreaterThan(0);
    expect(report.unansweredBadFrames).toBe(0);
    expect(report.stalls).toBe(0);
    expect(report.answers['error INTERNAL']).toBeUndefined();
    expect(gateway?.child.exitCode).toBeNull();
    expect((await fetch(`http://127.0.0.1:${gateway?.port}/healthz`)).status).toBe(200);
    expect(gateway?.output()).not.toMatch(/unhandled|uncaught/i);
    expect(heapAfter).toBeLessThan(heapBefore + 40);
  }, 600_000);
});
