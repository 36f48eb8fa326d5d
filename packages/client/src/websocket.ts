/**
 * The part of a WebSocket the client uses: satisfied by the browser's `WebSocket` and by the `ws`
 * package's class in Node (pass it as `WebSocket` in the options).
 */

// Handlers are declared method-style so both the DOM and `ws` event types fit (parameter bivariance).
type Handler<E> = { bivarianceHack(event: E): void }['bivarianceHack'];

export interface MessageEventLike {
  data: unknown;
}

export interface CloseEventLike {
  code: number;
  reason: string;
}

export interface WebSocketLike {
  readonly readyState: number;
  send(data: string): void;
  close(code?: number, reason?: string): void;
  onopen: Handler<unknown> | null;
  onmessage: Handler<MessageEventLike> | null;
  onclose: Handler<CloseEventLike> | null;
  onerror: Handler<unknown> | null;
}

export type WebSocketConstructor = new (url: string) => WebSocketLike;

/** `readyState` of an open socket (the same constant in browsers and `ws`). */
export const OPEN = 1;
