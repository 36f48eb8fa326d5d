/**
 * What the gateway needs from the broker for its rooms (implemented in `amqp/amqp-room-feed.ts`; the hub
 * owns it): its own queue bound to the rooms its sockets are in, what arrives on it, and typing frames
 * published to a room. Like Socket.IO's adapter, this is the only part that knows how room traffic
 * crosses machines.
 */
import type { MembershipEvent } from '@coffeechat/contracts';

/** The send a room's `message` frame answers: the sender's gateway acks it from the frame. */
export interface SendAnswer {
  connId: string;
  clientMsgId: string;
  /** the send frame's `id`, echoed in the ack */
  frameId?: string;
}

/** A room frame as the router (or a gateway, for typing) serialized it, forwarded without parsing. */
export interface RoomFrame {
  roomId: string;
  /** set on `message` frames */
  seq?: number;
  /** set on `typing` frames: that user's own sockets skip it */
  userId?: string;
  /** set on `message` frames: when the send reached the sender's gateway and when it was stored (epoch ms) */
  sentAt?: number;
  storedAt?: number;
  /** set on `message` frames the router published for a send */
  answers?: SendAnswer;
  bytes: Uint8Array;
}

/** A frame for one connection (the router's `error` for a send; a router before acks rode on messages: `ack`). */
export interface ConnFrame {
  connId: string;
  bytes: Uint8Array;
}

export interface RoomFeedEvents {
  roomFrame(frame: RoomFrame): void;
  connFrame(frame: ConnFrame): void;
  membership(event: MembershipEvent): void;
  /** the broker connection dropped: what is published from now until `restored` does not reach this gateway */
  lost(): void;
  /** the broker connection came back and the room bindings are restored; frames published meanwhile are lost */
  restored(): void;
}

/** Every method that talks to the broker rejects with `CodedError('UNAVAILABLE')` when it cannot. */
export interface RoomFeed {
  isUp(): boolean;
  /** Starts delivering events (as soon as the broker is reachable; it does not wait for it). */
  start(events: RoomFeedEvents): void;
  /** resolves once the room's traffic reaches this gateway */
  bindRoom(roomId: string): Promise<void>;
  unbindRoom(roomId: string): Promise<void>;
  /** a `typing` frame to every gateway with sockets in the room */
  publishTyping(roomId: string, userId: string, frame: string): Promise<void>;
  close(): Promise<void>;
}
