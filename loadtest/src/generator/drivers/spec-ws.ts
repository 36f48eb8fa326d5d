/**
 * SPEC §4 over a bare `ws` socket: the protocol CoffeeChat's gateway speaks, and the bare
 * uWebSockets.js peer speaks the same subset (hello, join/joined, send/ack, message, error).
 * Thin on purpose: the generator holds thousands of these, so a frame costs one JSON.parse and a
 * switch, nothing else.
 */
import WebSocket from 'ws';
import {
  type ChatConnection,
  type ChatDriver,
  CONNECT_TIMEOUT_MS,
  type ConnectionEvents,
  type ConnectTarget,
  JOIN_TIMEOUT_MS,
} from '../driver.js';
import { parseFrame, report, type WireFrame } from './wire-tap.js';

class SpecConnection implements ChatConnection {
  private readonly pendingJoins = new Map<
    string,
    { resolve: () => void; reject: (e: Error) => void; timer: NodeJS.Timeout }
  >();
  private nextId = 0;

  constructor(
    private readonly ws: WebSocket,
    private readonly events: ConnectionEvents,
  ) {}

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  handle(frame: WireFrame): void {
    if (frame.type === 'joined') this.settleJoin(frame.id);
    else if (frame.type === 'error' && frame.id && this.pendingJoins.has(frame.id)) {
      this.settleJoin(frame.id, new Error(`join: ${frame.code} ${frame.message ?? ''}`));
    } else report(frame, this.events); // presence, typing, read and pong are not measured
  }

  join(roomId: string): Promise<void> {
    const id = `j${this.nextId++}`;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => this.settleJoin(id, new Error(`join ${roomId}: no reply in ${JOIN_TIMEOUT_MS} ms`)),
        JOIN_TIMEOUT_MS,
      );
      this.pendingJoins.set(id, { resolve, reject, timer });
      this.ws.send(JSON.stringify({ type: 'join', id, roomId }));
    });
  }

  private settleJoin(id: string | undefined, err?: Error): void {
    const pending = id === undefined ? undefined : this.pendingJoins.get(id);
    if (!pending || id === undefined) return;
    this.pendingJoins.delete(id);
    clearTimeout(pending.timer);
    if (err) pending.reject(err);
    else pending.resolve();
  }

  send(roomId: string, clientMsgId: string, body: string): void {
    // ids and bodies are generated from a safe alphabet, so the frame needs no escaping
    this.ws.send(`{"type":"send","roomId":"${roomId}","clientMsgId":"${clientMsgId}","body":"${body}"}`);
  }

  close(): void {
    for (const id of [...this.pendingJoins.keys()]) this.settleJoin(id, new Error('closed'));
    this.ws.terminate();
  }
}

export const specWsDriver: ChatDriver = {
  retriesSends: false,
  connect(target: ConnectTarget, events: ConnectionEvents): Promise<ChatConnection> {
    return new Promise((resolve, reject) => {
      const url = `${target.url}?token=${encodeURIComponent(target.token)}`;
      const ws = new WebSocket(url, { perMessageDeflate: false, handshakeTimeout: CONNECT_TIMEOUT_MS });
      const conn = new SpecConnection(ws, events);
      // a failed attempt is not a connection that closed: only an open one reports onClose
      let state: 'connecting' | 'open' | 'failed' = 'connecting';
      let heartbeat: NodeJS.Timeout | undefined;
      const timer = setTimeout(() => fail(new Error('no hello')), CONNECT_TIMEOUT_MS);
      const fail = (err: Error) => {
        if (state !== 'connecting') return;
        state = 'failed';
        clearTimeout(timer);
        ws.terminate();
        reject(err);
      };
      ws.on('unexpected-response', (_req, res) => fail(new Error(`HTTP ${res.statusCode}`)));
      ws.on('error', (err) => fail(err));
      ws.on('close', () => {
        clearInterval(heartbeat);
        if (state === 'connecting') fail(new Error('closed before hello'));
        else if (state === 'open') events.onClose();
      });
      ws.on('message', (data: Buffer) => {
        const frame = parseFrame(data, events);
        if (!frame) return;
        if (state === 'connecting') {
          if (frame.type !== 'hello') return fail(new Error(`first frame was ${frame.type}`));
          state = 'open';
          clearTimeout(timer);
          // SPEC §4 clients ping every heartbeatSec, as the SDK does
          const every = (frame.heartbeatSec ?? 25) * 1000;
          heartbeat = setInterval(() => {
            if (ws.readyState === WebSocket.OPEN) ws.send('{"type":"ping"}');
          }, every);
          resolve(conn);
          return;
        }
        conn.handle(frame);
      });
    });
  },
};
