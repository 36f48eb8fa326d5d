/** A WebSocket client of a gateway that records every frame it gets, and waits for one that matches. */
import WebSocket from 'ws';
import { tokenFor } from './tokens.js';

export type Frame = Record<string, unknown> & { type: string };

export interface RecordingClient {
  ws: WebSocket;
  frames: Frame[];
  send(frame: object): void;
  /** the first frame (recorded so far or later) that matches; rejects after `timeoutMs` */
  until(match: (f: Frame) => boolean, timeoutMs?: number): Promise<Frame>;
}

/** Connects `userId` to the gateway on `port` and waits for its `hello`. */
export async function connectRecording(port: number, userId: string): Promise<RecordingClient> {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?token=${await tokenFor(userId)}`);
  ws.on('error', () => undefined); // a refused or dropped connection shows as a timed-out `until`
  const frames: Frame[] = [];
  const waiters = new Set<() => void>();
  ws.on('message', (data) => {
    frames.push(JSON.parse(String(data)) as Frame);
    for (const wake of waiters) wake();
  });
  const until = (match: (f: Frame) => boolean, timeoutMs = 15_000) =>
    new Promise<Frame>((resolve, reject) => {
      const check = () => {
        const found = frames.find(match);
        if (!found) return;
        clearTimeout(timer);
        waiters.delete(check);
        resolve(found);
      };
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`no matching frame for ${userId}; got ${JSON.stringify(frames)}`));
      }, timeoutMs);
      waiters.add(check);
      check();
    });
  await until((f) => f.type === 'hello');
  return { ws, frames, send: (frame) => ws.send(JSON.stringify(frame)), until };
}
