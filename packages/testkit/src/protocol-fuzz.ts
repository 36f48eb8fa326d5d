/**
 * The live protocol fuzzer (issue 13): random and mutated frames (`fuzz-frames.ts`) over many connections
 * to a running gateway, each burst followed by a `ping` whose `pong` says the gateway has answered what
 * came before it. It checks what a client can see: every frame the gateway writes is a documented server
 * frame (the contracts' schemas, error codes included), every connection it closes carries a documented
 * close code, and every frame that does not parse got its BAD_REQUEST (with the frame's `id` when it had
 * one) before the burst's `pong`. Whether the gateway crashed, and its memory, the caller watches.
 * The e2e suite runs it short; `npm run bench -- protocol-fuzz` runs 100,000 frames and more.
 */
import { CloseCode, parseClientFrame, ServerFrames, type ServerFrameType, validator } from '@coffeechat/contracts';
import fc from 'fast-check';
import WebSocket from 'ws';
import { type FuzzFrame, fuzzFrame } from './fuzz-frames.js';

export interface ProtocolFuzzOptions {
  /** the gateway's `ws://…/ws` */
  url: string;
  /** a valid token for a user */
  token: (userId: string) => Promise<string>;
  /** who connects (round robin); the members of `rooms` get answers past `join` */
  users: readonly string[];
  rooms: readonly string[];
  /** a room the user is a member of: each connection joins it first, so fuzzed frames meet a joined room */
  homeRoom?: (userId: string) => string | undefined;
  /** frames to send in all */
  frames: number;
  /** connections open at once */
  workers: number;
  /** frames between two sync pings; default 20 */
  burst?: number;
  seed?: number;
}

export interface ProtocolFuzzReport {
  frames: number;
  /** of them: frames that do not parse (BAD_REQUEST expected), over 64 KiB, binary */
  badFrames: number;
  oversize: number;
  binary: number;
  connections: number;
  /** upgrades refused with 429 (the user's connections were all open) */
  upgradesRefused: number;
  /** what the gateway wrote, by frame type (errors by code) */
  answers: Record<string, number>;
  /** connections that joined their home room before fuzzing */
  homeJoins: number;
  /** connections the gateway closed, by close code */
  closes: Record<string, number>;
  /** the first frames or closes that are not documented (empty when all were) */
  undocumented: string[];
  /** bad frames without their BAD_REQUEST before the burst's pong */
  unansweredBadFrames: number;
  /** bursts whose sync ping got no pong within 10 s on an open connection */
  stalls: number;
  durationMs: number;
}

const DOCUMENTED_CLOSES = new Set<number>([
  CloseCode.NORMAL,
  CloseCode.GOING_AWAY,
  CloseCode.POLICY_VIOLATION,
  CloseCode.MESSAGE_TOO_BIG,
  CloseCode.TOKEN_EXPIRED,
]);
const serverFrame = Object.fromEntries(Object.entries(ServerFrames).map(([type, schema]) => [type, validator(schema)]));
const SYNC_TIMEOUT_MS = 10_000;
const SETTLE_MS = 50;
/** the gateway's own BAD_REQUEST for a valid join that races another: not a parse failure */
const JOIN_IN_PROGRESS = 'a join of this room is already in progress';

type Received = Record<string, unknown> & { type?: unknown };

export async function runProtocolFuzz(options: ProtocolFuzzOptions): Promise<ProtocolFuzzReport> {
  const started = Date.now();
  const report: ProtocolFuzzReport = {
    frames: 0,
    badFrames: 0,
    oversize: 0,
    binary: 0,
    connections: 0,
    upgradesRefused: 0,
    homeJoins: 0,
    answers: {},
    closes: {},
    undocumented: [],
    unansweredBadFrames: 0,
    stalls: 0,
    durationMs: 0,
  };
  const burst = options.burst ?? 20;
  let seed = options.seed ?? 1;
  let next = 0;
  const claim = (n: number) => {
    const take = Math.min(n, options.frames - report.frames);
    report.frames += take;
    return take;
  };
  const note = (what: string) => {
    if (report.undocumented.length < 20) report.undocumented.push(what);
  };

  const worker = async () => {
    while (report.frames < options.frames) {
      const userId = options.users[next++ % options.users.length] ?? 'fuzz';
      const token = await options.token(userId);
      const socket = await connect(options.url, token);
      if (socket === 'refused') {
        report.upgradesRefused += 1;
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      report.connections += 1;
      const frames = fuzzFrame({ rooms: options.rooms, token });
      try {
        const home = options.homeRoom?.(userId);
        if (home !== undefined) {
          socket.ws.send(JSON.stringify({ type: 'join', id: 'home', roomId: home }));
          if (await waitFor(socket, (f) => f.id === 'home' && f.type === 'joined', 0)) report.homeJoins += 1;
        }
        while (!socket.closed && report.frames < options.frames) {
          const count = claim(burst);
          if (count === 0) break;
          const batch = fc.sample(frames, { numRuns: count, seed: seed++ });
          await runBurst(socket, batch, report, note);
        }
      } finally {
        const closed = socket.closed;
        if (closed) {
          report.closes[closed.code] = (report.closes[closed.code] ?? 0) + 1;
          if (!DOCUMENTED_CLOSES.has(closed.code)) note(`close ${closed.code} ${closed.reason}`);
        }
        socket.ws.terminate();
      }
    }
  };
  await Promise.all(Array.from({ length: options.workers }, worker));
  report.durationMs = Date.now() - started;
  return report;
}

interface FuzzSocket {
  ws: WebSocket;
  received: Received[];
  closed?: { code: number; reason: string };
  wake: () => void;
  waiters: Array<() => void>;
}

function connect(url: string, token: string): Promise<FuzzSocket | 'refused'> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`${url}?token=${encodeURIComponent(token)}`);
    const socket: FuzzSocket = {
      ws,
      received: [],
      waiters: [],
      wake: () => {
        for (const w of socket.waiters.splice(0)) w();
      },
    };
    ws.on('unexpected-response', (_req, res) => {
      if (res.statusCode === 429) resolve('refused');
      else reject(new Error(`upgrade answered ${res.statusCode}`));
      ws.terminate();
    });
    ws.on('message', (data, isBinary) => {
      socket.received.push(isBinary ? { type: '(binary)' } : parse(String(data)));
      socket.wake();
    });
    ws.on('close', (code, reason) => {
      socket.closed = { code, reason: reason.toString() };
      socket.wake();
    });
    ws.on('error', () => undefined);
    ws.once('open', () => resolve(socket));
  });
}

function parse(text: string): Received {
  try {
    const value: unknown = JSON.parse(text);
    return typeof value === 'object' && value !== null ? (value as Received) : { type: '(not an object)' };
  } catch {
    return { type: '(not JSON)' };
  }
}

let syncCounter = 0;

async function runBurst(
  socket: FuzzSocket,
  batch: readonly FuzzFrame[],
  report: ProtocolFuzzReport,
  note: (what: string) => void,
): Promise<void> {
  const from = socket.received.length;
  /** ids (or '' for none) of the frames that must get a BAD_REQUEST */
  const expected = new Map<string, number>();
  for (const frame of batch) {
    if (frame.kind === 'oversize') {
      report.oversize += 1;
      socket.ws.send('x'.repeat(frame.bytes));
    } else if (frame.kind === 'binary') {
      report.binary += 1;
      socket.ws.send(Buffer.alloc(frame.bytes, 1), { binary: true });
    } else {
      const parsed = parseClientFrame(frame.text);
      if (!parsed.ok) {
        report.badFrames += 1;
        const key = parsed.id ?? '';
        expected.set(key, (expected.get(key) ?? 0) + 1);
      }
      socket.ws.send(frame.text);
    }
    if (socket.closed) return;
  }
  const syncId = `sync-${++syncCounter}`;
  socket.ws.send(JSON.stringify({ type: 'ping', id: syncId }));
  const synced = await waitFor(socket, (f) => f.type === 'pong' && f.id === syncId, from);
  // a moment for what the backends answer (joins, acks, room traffic) before the next burst
  if (synced) await new Promise((r) => setTimeout(r, SETTLE_MS));
  const answers = socket.received.slice(from);
  for (const frame of answers) {
    const type = String(frame.type);
    const key = type === 'error' ? `error ${String(frame.code)}` : type;
    report.answers[key] = (report.answers[key] ?? 0) + 1;
    const check = Object.hasOwn(serverFrame, type) ? serverFrame[type as ServerFrameType] : undefined;
    if (!check?.check(frame)) note(`frame ${JSON.stringify(frame).slice(0, 200)}`);
  }
  if (!synced) {
    if (!socket.closed) report.stalls += 1;
    return; // closed mid-burst: what came after the gateway's decision is not answered
  }
  for (const frame of answers) {
    if (frame.type !== 'error' || frame.code !== 'BAD_REQUEST' || frame.message === JOIN_IN_PROGRESS) continue;
    const key = typeof frame.id === 'string' ? frame.id : '';
    const left = expected.get(key);
    if (left !== undefined) expected.set(key, left - 1);
  }
  for (const left of expected.values()) if (left > 0) report.unansweredBadFrames += left;
}

/** true once a frame matching `match` arrived (after `from`); false when the socket closed or time ran out */
async function waitFor(socket: FuzzSocket, match: (f: Received) => boolean, from: number): Promise<boolean> {
  const deadline = Date.now() + SYNC_TIMEOUT_MS;
  for (;;) {
    if (socket.received.slice(from).some(match)) return true;
    if (socket.closed) return false;
    const left = deadline - Date.now();
    if (left <= 0) return false;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, left);
      socket.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }
}
