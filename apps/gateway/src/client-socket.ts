/** What socket handling needs from one client WebSocket (implemented over uWS in `ws/`). */

/** A frame as written to a socket: JSON text the gateway built, or bytes forwarded as they came. */
export type Payload = string | Uint8Array;

export interface ClientSocket {
  /** false when the frame was not queued (socket closed or over its send-buffer bound) */
  send(frame: Payload): boolean;
  subscribe(topic: string): void;
  unsubscribe(topic: string): void;
  /** bytes written but not yet taken by the client */
  bufferedAmount(): number;
  /** closing handshake with `code` */
  end(code: number, reason: string): void;
  /** batches the writes made inside `fn` into one syscall */
  cork(fn: () => void): void;
}

/** Publishes to every socket subscribed to a topic; returns how many sockets got it. */
export interface TopicPublisher {
  publish(topic: string, frame: Uint8Array): number;
}
