/**
 * What the generator needs from a chat system: connect one user, join one room, send, and hear
 * acks, room messages and errors. One implementation per wire protocol (drivers/).
 */

export interface ConnectionEvents {
  onAck(roomId: string, clientMsgId: string): void;
  /** `seq` is the room sequence where the system assigns one */
  onMessage(roomId: string, clientMsgId: string, seq: number | undefined): void;
  onError(code: string, roomId: string | undefined, clientMsgId: string | undefined): void;
  onClose(): void;
  /** the connection came back by itself (the SDK reconnects) */
  onReopen(): void;
}

export interface ChatConnection {
  readonly isOpen: boolean;
  join(roomId: string): Promise<void>;
  send(roomId: string, clientMsgId: string, body: string): void;
  close(): void;
}

export interface ConnectTarget {
  /** ws:// URL of the WebSocket endpoint (SPEC drivers) or http:// URL of a Socket.IO node */
  url: string;
  userId: string;
  token: string;
  /** other gateways to try, in turn, when a connection fails before it opens (SDK driver) */
  failoverUrls?: string[];
}

export interface ChatDriver {
  /** the driver re-sends unacknowledged messages itself (else the generator does) */
  readonly retriesSends: boolean;
  connect(target: ConnectTarget, events: ConnectionEvents): Promise<ChatConnection>;
}

export const CONNECT_TIMEOUT_MS = 15_000;
export const JOIN_TIMEOUT_MS = 15_000;
