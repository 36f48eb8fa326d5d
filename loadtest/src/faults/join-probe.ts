/**
 * "Does a new join work?" asked once a second for the whole run: a fresh WebSocket connects to a
 * gateway (the next one after a failure, like a load balancer's client would), says `join` for a room
 * its user is a member of and waits for `joined`, each step with a deadline. Its timeline tells how
 * long after a fault ended joining worked again.
 */
import { mintToken } from '@coffeechat/auth';
import WebSocket from 'ws';

export interface JoinAttempt {
  /** timeline seconds */
  startedAt: number;
  endedAt: number;
  ok: boolean;
  /** error code, close or timeout when it failed */
  outcome: string;
}

const ATTEMPT_TIMEOUT_MS = 4_000;

export class JoinProbe {
  readonly attempts: JoinAttempt[] = [];
  private timer: NodeJS.Timeout | undefined;
  private next = 0;
  private stopped = false;
  private inFlight: Promise<void> | undefined;

  constructor(
    private readonly urls: () => string[],
    private readonly roomId: string,
    private readonly userId: string,
    private readonly secret: string,
    private readonly clock: () => number,
  ) {}

  start(): void {
    const tick = async () => {
      if (this.stopped) return;
      const t0 = performance.now();
      this.inFlight = this.attempt();
      await this.inFlight;
      if (!this.stopped) this.timer = setTimeout(tick, Math.max(0, 1000 - (performance.now() - t0)));
    };
    void tick();
  }

  private async attempt(): Promise<void> {
    const urls = this.urls();
    const url = urls[this.next % urls.length] ?? '';
    const startedAt = this.clock();
    const token = await mintToken(this.userId, { secret: this.secret, ttl: '2h' });
    const outcome = await joinOnce(`${url}?token=${token}`, this.roomId);
    const ok = outcome === 'joined';
    if (!ok) this.next++;
    this.attempts.push({ startedAt, endedAt: this.clock(), ok, outcome });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.inFlight;
  }
}

function joinOnce(url: string, roomId: string): Promise<string> {
  return new Promise((resolve) => {
    const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: ATTEMPT_TIMEOUT_MS });
    const done = (outcome: string) => {
      clearTimeout(timer);
      ws.removeAllListeners();
      ws.on('error', () => undefined);
      ws.terminate();
      resolve(outcome);
    };
    const timer = setTimeout(() => done('timeout'), ATTEMPT_TIMEOUT_MS);
    ws.on('message', (data: Buffer) => {
      let frame: { type?: string; code?: string };
      try {
        frame = JSON.parse(data.toString());
      } catch {
        return done('NOT_JSON');
      }
      if (frame.type === 'hello') ws.send(JSON.stringify({ type: 'join', id: 'probe', roomId }));
      else if (frame.type === 'joined') done('joined');
      else if (frame.type === 'error') done(frame.code ?? 'error');
    });
    ws.on('unexpected-response', (_req, res) => done(`HTTP ${res.statusCode}`));
    ws.on('error', (err) => done(err.message.slice(0, 60)));
    ws.on('close', () => done('closed'));
  });
}

/**
 * Seconds from `healedAt` until the first join started at or after it had succeeded;
 * null when none did.
 */
export function joinRecoverySec(attempts: readonly JoinAttempt[], healedAt: number): number | null {
  const ok = attempts.find((a) => a.startedAt >= healedAt && a.ok);
  return ok ? Math.round(Math.max(0, ok.endedAt - healedAt) * 10) / 10 : null;
}
