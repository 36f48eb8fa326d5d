/**
 * A generator worker process (forked by the coordinator): holds its share of the connections,
 * paces sends into its rooms, keeps the ledger of what came back, and reports every second.
 * All members of a room live in the same worker, so send and receive times share one clock.
 */
import { mintToken } from '@coffeechat/auth';
import type { ChatConnection, ChatDriver, ConnectionEvents } from './driver.js';
import { coffeeChatClientDriver } from './drivers/coffeechat-client.js';
import { socketIoDriver } from './drivers/socketio.js';
import { specWsDriver } from './drivers/spec-ws.js';
import { encode, type Histogram, newHistogram, recordMs } from './latency.js';
import { addCounts, emptyCounts, RoomLedger } from './ledger.js';
import type { Anomaly, DrainReport, FromWorker, ToWorker, WorkerInit } from './messages.js';
import { dueSends, type PlannedMember, type PlannedRoom } from './plan.js';
import { SelfMonitor } from './self-monitor.js';

/** an unacked message is sent again (same clientMsgId) after this long, at most MAX_RETRIES times */
const ACK_TIMEOUT_MS = 5_000;
const MAX_RETRIES = 5;
const UNAVAILABLE_RETRY_MS = 250;
const PACE_MS = 2;
const CONNECT_ATTEMPTS = 3;
/** duplicate and out-of-order frames kept as evidence, per worker */
const MAX_ANOMALIES = 20;

interface WorkerRoom {
  planned: PlannedRoom;
  ledger: RoomLedger;
  conns: (ChatConnection | undefined)[];
}

const post = (msg: FromWorker) => process.send?.(msg);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

class Worker {
  private readonly driver: ChatDriver;
  private readonly rooms: WorkerRoom[];
  private readonly roomById = new Map<string, WorkerRoom>();
  private readonly idle: ChatConnection[] = [];
  private readonly body: string;
  private readonly monitor = new SelfMonitor();
  private intervalDeliver = newHistogram();
  private intervalAck = newHistogram();
  private readonly phaseHists = new Map<number, { deliver: Histogram; ack: Histogram }>();
  private interval = { sent: 0, acked: 0, delivered: 0 };
  private connected = 0;
  private disconnects = 0;
  private retries = 0;
  private readonly errors: Record<string, number> = {};
  private readonly anomalies: Anomaly[] = [];
  private readonly retryTimer: NodeJS.Timeout;
  private readonly tickTimer: NodeJS.Timeout;
  private stopping = false;

  constructor(private readonly init: WorkerInit) {
    this.driver = { 'spec-ws': specWsDriver, 'coffeechat-client': coffeeChatClientDriver, socketio: socketIoDriver }[
      init.driver
    ];
    this.rooms = init.rooms.map((planned) => ({
      planned,
      ledger: new RoomLedger(planned.members.length),
      conns: planned.members.map(() => undefined),
    }));
    for (const room of this.rooms) this.roomById.set(room.planned.roomId, room);
    this.body = 'x'.repeat(Math.max(1, init.messageBytes));
    this.tickTimer = setInterval(() => this.tick(), 1000);
    this.retryTimer = setInterval(() => this.retryUnacked(), 1000);
  }

  private hists(phase: number) {
    let h = this.phaseHists.get(phase);
    if (!h) {
      h = { deliver: newHistogram(), ack: newHistogram() };
      this.phaseHists.set(phase, h);
    }
    return h;
  }

  private eventsFor(room: WorkerRoom | undefined, member: number): ConnectionEvents {
    return {
      onAck: (roomId, clientMsgId) => {
        const target = room ?? this.roomById.get(roomId);
        if (!target) return;
        const k = Number(clientMsgId.slice(1));
        const now = performance.now();
        const ms = target.ledger.ack(k, now);
        if (ms === undefined) return;
        this.interval.acked++;
        recordMs(this.intervalAck, ms);
        recordMs(this.hists(target.ledger.phaseOf(k)).ack, ms);
      },
      onMessage: (roomId, clientMsgId, seq) => {
        if (!room || roomId !== room.planned.roomId) {
          this.count('FOREIGN_MESSAGE');
          return;
        }
        const k = Number(clientMsgId.slice(1));
        const outcome = room.ledger.deliver(member, k, seq, performance.now());
        if ((outcome.duplicate || outcome.orderViolation) && this.anomalies.length < MAX_ANOMALIES) {
          const kind = outcome.duplicate ? 'duplicate' : 'order';
          this.anomalies.push({ kind, roomId, member, clientMsgId, seq, at: Date.now() });
        }
        if (outcome.latencyMs === undefined) return;
        this.interval.delivered++;
        recordMs(this.intervalDeliver, outcome.latencyMs);
        recordMs(this.hists(room.ledger.phaseOf(k)).deliver, outcome.latencyMs);
      },
      onError: (code, roomId, clientMsgId) => {
        this.count(code);
        const target = room ?? (roomId ? this.roomById.get(roomId) : undefined);
        // SPEC §4: after UNAVAILABLE the client may retry the same clientMsgId
        if (!this.driver.retriesSends && target && clientMsgId && (code === 'UNAVAILABLE' || code === 'RATE_LIMITED')) {
          const k = Number(clientMsgId.slice(1));
          setTimeout(() => this.resend(target, k), code === 'UNAVAILABLE' ? UNAVAILABLE_RETRY_MS : 1000);
        }
      },
      onClose: () => {
        if (!this.stopping) this.disconnects++;
        this.connected--;
      },
      onReopen: () => {
        this.connected++;
      },
    };
  }

  private count(code: string): void {
    this.errors[code] = (this.errors[code] ?? 0) + 1;
  }

  /** Connects every member (and idle user) at the worker's share of the connect rate, then joins. */
  async connectAll(): Promise<void> {
    const startedAt = Date.now();
    const connectLatency = newHistogram();
    const failures: string[] = [];
    let failed = 0;
    let failedAttempts = 0;
    const jobs: { user: PlannedMember; room: WorkerRoom | undefined; member: number }[] = [];
    for (const room of this.rooms) {
      for (const [member, user] of room.planned.members.entries()) jobs.push({ user, room, member });
    }
    for (const user of this.init.idleUsers) jobs.push({ user, room: undefined, member: -1 });

    // A real client tries again after a failed connect or join; so does the generator, a few times,
    // and counts the attempts that failed as well as the users who never got in.
    const one = async (job: (typeof jobs)[number]) => {
      const token = await mintToken(job.user.userId, { secret: this.init.jwtSecret, ttl: '2h' });
      const url = this.init.urls[job.user.gateway] ?? this.init.urls[0] ?? '';
      for (let attempt = 1; ; attempt++) {
        const t0 = performance.now();
        let conn: ChatConnection | undefined;
        try {
          conn = await this.driver.connect(
            { url, userId: job.user.userId, token, failoverUrls: this.init.urls },
            this.eventsFor(job.room, job.member),
          );
          recordMs(connectLatency, performance.now() - t0);
          if (job.room) await conn.join(job.room.planned.roomId);
          this.connected++;
          if (job.room) job.room.conns[job.member] = conn;
          else this.idle.push(conn);
          return;
        } catch (err) {
          conn?.close();
          failedAttempts++;
          if (failures.length < 5) failures.push(`${job.user.userId} (attempt ${attempt}): ${(err as Error).message}`);
          if (attempt >= CONNECT_ATTEMPTS) {
            failed++;
            return;
          }
          await sleep(500 * attempt);
        }
      }
    };

    const inFlight = new Set<Promise<void>>();
    const t0 = performance.now();
    let started = 0;
    while (started < jobs.length) {
      const due = Math.min(jobs.length - started, dueSends(this.init.connectPerSec, performance.now() - t0, started));
      for (let i = 0; i < due; i++) {
        const job = jobs[started++];
        if (!job) break;
        const p = one(job).finally(() => inFlight.delete(p));
        inFlight.add(p);
      }
      await sleep(5);
    }
    await Promise.all(inFlight);
    post({
      kind: 'connected',
      worker: this.init.worker,
      connected: this.connected,
      failed,
      failedAttempts,
      failures,
      connectLatency: encode(connectLatency),
      startedAt,
      finishedAt: Date.now(),
    });
  }

  private sendOne(room: WorkerRoom, phase: number): void {
    const k = room.ledger.send(phase, performance.now());
    this.interval.sent++;
    const conn = room.conns[room.ledger.senderOf(k)];
    // The SDK keeps a send while it reconnects, as an application's would; on a bare socket a message
    // whose sender is not connected stays unacked and is counted as such.
    if (conn && (conn.isOpen || this.driver.retriesSends)) conn.send(room.planned.roomId, `m${k}`, this.body);
  }

  private resend(room: WorkerRoom, k: number): void {
    if (room.ledger.isAcked(k)) return;
    const conn = room.conns[room.ledger.senderOf(k)];
    if (!conn?.isOpen) return;
    this.retries++;
    conn.send(room.planned.roomId, `m${k}`, this.body);
  }

  private retryUnacked(): void {
    if (this.driver.retriesSends) return;
    const olderThan = performance.now() - ACK_TIMEOUT_MS;
    for (const room of this.rooms)
      for (const k of room.ledger.dueForRetry(olderThan, MAX_RETRIES)) this.resend(room, k);
  }

  /** Open-loop pacing: `ratePerRoom` × rooms per second, rooms served in turn. */
  async runPhase(phase: number, ratePerRoom: number, durationMs: number): Promise<void> {
    const n = this.rooms.length;
    if (n === 0) return;
    const rate = ratePerRoom * n;
    const t0 = performance.now();
    let sent = 0;
    let cursor = 0;
    for (;;) {
      const elapsed = Math.min(performance.now() - t0, durationMs);
      const due = dueSends(rate, elapsed, sent);
      for (let i = 0; i < due; i++) {
        this.sendOne(this.rooms[cursor] as WorkerRoom, phase);
        cursor = (cursor + 1) % n;
      }
      sent += due;
      if (elapsed >= durationMs) return;
      await sleep(PACE_MS);
    }
  }

  /** Waits until every sent message is acked and delivered (or the timeout), then reports. */
  async drain(phase: number | null, timeoutMs: number): Promise<void> {
    const deadline = performance.now() + timeoutMs;
    const open = () => this.rooms.reduce((sum, r) => sum + r.ledger.outstanding(), 0);
    while (open() > 0 && performance.now() < deadline) await sleep(50);
    const counts = emptyCounts();
    for (const room of this.rooms) addCounts(counts, room.ledger.counts(phase ?? undefined));
    let deliver: Histogram;
    let ack: Histogram;
    if (phase === null) {
      deliver = newHistogram();
      ack = newHistogram();
      for (const h of this.phaseHists.values()) {
        deliver.add(h.deliver);
        ack.add(h.ack);
      }
    } else {
      ({ deliver, ack } = this.hists(phase));
    }
    const report: DrainReport = {
      kind: 'drained',
      worker: this.init.worker,
      phase,
      counts,
      deliver: encode(deliver),
      ack: encode(ack),
      errors: { ...this.errors },
      retries: this.retries,
      disconnects: this.disconnects,
      connected: this.connected,
      anomalies: [...this.anomalies, ...this.losses()],
    };
    post(report);
  }

  /** The member connections missing acked messages (the first MAX_ANOMALIES), as `lost` anomalies. */
  private losses(): Anomaly[] {
    const clock = Date.now() - performance.now();
    return this.rooms
      .flatMap((room) =>
        room.ledger.losses().map((loss) => ({
          kind: 'lost' as const,
          roomId: room.planned.roomId,
          member: loss.member,
          clientMsgId: `m${loss.firstK}`,
          seq: loss.lastSeq,
          at: loss.lastAt === 0 ? 0 : Math.round(clock + loss.lastAt),
          count: loss.count,
        })),
      )
      .slice(0, MAX_ANOMALIES);
  }

  private tick(): void {
    post({
      kind: 'tick',
      worker: this.init.worker,
      at: Date.now(),
      deliver: encode(this.intervalDeliver),
      ack: encode(this.intervalAck),
      ...this.interval,
      connected: this.connected,
      self: this.monitor.sample(),
    });
    this.intervalDeliver.reset();
    this.intervalAck.reset();
    this.interval = { sent: 0, acked: 0, delivered: 0 };
  }

  stop(): void {
    this.stopping = true;
    clearInterval(this.tickTimer);
    clearInterval(this.retryTimer);
    this.monitor.stop();
    for (const room of this.rooms) for (const c of room.conns) c?.close();
    for (const c of this.idle) c.close();
  }
}

let worker: Worker | undefined;
let workerIndex = -1;

// Commands run one after another, in the order the coordinator sent them.
let queue = Promise.resolve();
process.on('message', (msg: ToWorker) => {
  queue = queue
    .then(() => handle(msg))
    .catch((err: Error) => {
      post({ kind: 'fatal', worker: workerIndex, message: err.stack ?? err.message });
    });
});
process.on('disconnect', () => {
  worker?.stop();
  process.exit(0);
});

async function handle(msg: ToWorker): Promise<void> {
  switch (msg.kind) {
    case 'init':
      workerIndex = msg.worker;
      worker = new Worker(msg);
      await worker.connectAll();
      return;
    case 'phase':
      await worker?.runPhase(msg.phase, msg.ratePerRoom, msg.durationMs);
      return;
    case 'drain':
      await worker?.drain(msg.phase, msg.timeoutMs);
      return;
    case 'stop':
      worker?.stop();
      // let the close frames go out, then leave
      setTimeout(() => process.exit(0), 200);
      return;
  }
}
