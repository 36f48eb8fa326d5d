/** `ClientSocket` over a uWS WebSocket, which must not be touched once its close handler ran. */
import type { WebSocket } from 'uWebSockets.js';
import type { ClientSocket, Payload } from '../client-socket.js';

/** uWS `send` result meaning the frame was dropped (the socket is over its backpressure bound). */
const DROPPED = 2;

export class UwsClientSocket<UserData> implements ClientSocket {
  closed = false;

  constructor(private readonly ws: WebSocket<UserData>) {}

  send(frame: Payload): boolean {
    if (this.closed) return false;
    return this.ws.send(frame, false) !== DROPPED && !this.closed;
  }

  subscribe(topic: string): void {
    if (!this.closed) this.ws.subscribe(topic);
  }

  unsubscribe(topic: string): void {
    if (!this.closed) this.ws.unsubscribe(topic);
  }

  bufferedAmount(): number {
    return this.closed ? 0 : this.ws.getBufferedAmount();
  }

  end(code: number, reason: string): void {
    if (!this.closed) this.ws.end(code, reason);
  }

  cork(fn: () => void): void {
    if (this.closed) fn();
    else this.ws.cork(fn);
  }
}
