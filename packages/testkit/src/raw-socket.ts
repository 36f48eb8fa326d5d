/** A plain `ws` connection to a gateway that records every frame, for protocol-level assertions. */
import WebSocket from 'ws';
import type { Frame } from './recording-client.js';

export class RawSocket {
  readonly frames: Frame[] = [];
  /** each frame as the bytes came (UTF-8), beside `frames` */
  private readonly texts: string[] = [];
  private waiters: Array<() => void> = [];
  closed?: { code: number; reason: string };
  /** the last socket error (a reset, an invalid frame), named when the socket closed abnormally */
  private lastError?: string;
  private closedPromise: Promise<{ code: number; reason: string }>;

  private constructor(readonly ws: WebSocket) {
    ws.on('message', (data, isBinary) => {
      if (!isBinary) {
        this.texts.push(String(data));
        this.frames.push(JSON.parse(String(data)) as Frame);
      }
      this.wake();
    });
    this.closedPromise = new Promise((resolve) => {
      ws.on('close', (code, reason) => {
        this.closed = { code, reason: reason.toString() };
        this.wake();
        resolve(this.closed);
      });
    });
    ws.on('error', (err) => {
      this.lastError = err.message;
    });
  }

  /** Opens a connection; resolves once `hello` arrived. */
  static async open(url: string, token: string, headers: Record<string, string> = {}): Promise<RawSocket> {
    const ws = new WebSocket(`${url}?token=${encodeURIComponent(token)}`, { headers });
    const socket = new RawSocket(ws);
    await socket.next((f) => f.type === 'hello');
    return socket;
  }

  /** The HTTP status of a refused upgrade (or 101 when it was accepted). */
  static handshakeStatus(url: string, headers: Record<string, string> = {}): Promise<number> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(url, { headers });
      ws.on('unexpected-response', (_req, res) => {
        resolve(res.statusCode ?? 0);
        ws.terminate();
      });
      ws.on('open', () => {
        resolve(101);
        ws.close();
      });
      ws.on('error', (err) => {
        if (!/Unexpected server response/.test(err.message)) reject(err);
      });
    });
  }

  send(frame: unknown): void {
    this.ws.send(typeof frame === 'string' ? frame : JSON.stringify(frame));
  }

  /** The first frame (from the start of the connection) matching `match`, waiting for it if needed. */
  async next(match: (frame: Frame) => boolean, timeoutMs = 10_000, from = 0): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.frames.slice(from).find(match);
      if (found) return found;
      if (this.closed)
        throw new Error(
          `socket closed (${this.closed.code}${this.lastError ? `, ${this.lastError}` : ''}) before the frame arrived`,
        );
      const left = deadline - Date.now();
      if (left <= 0)
        throw new Error(`frame not received in ${timeoutMs} ms; got ${JSON.stringify(this.frames.slice(-5))}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** The text a received frame came as. */
  textOf(frame: Frame): string | undefined {
    return this.texts[this.frames.indexOf(frame)];
  }

  async request(frame: Frame & { id: string }, timeoutMs = 10_000): Promise<Frame> {
    const from = this.frames.length;
    this.send(frame);
    return this.next((f) => f.id === frame.id, timeoutMs, from);
  }

  whenClosed(timeoutMs = 10_000): Promise<{ code: number; reason: string }> {
    return Promise.race([
      this.closedPromise,
      new Promise<never>((_, reject) => setTimeout(() => reject(new Error('socket not closed in time')), timeoutMs)),
    ]);
  }

  close(): void {
    this.ws.terminate();
  }

  private wake(): void {
    for (const w of this.waiters.splice(0)) w();
  }
}
