/**
 * What socket handling needs from the rest of CoffeeChat: the seam between the WebSocket side and the
 * broker. Only `amqp/` implements it; nothing else in the gateway knows RabbitMQ exists.
 */
import {
  CodedError,
  type InboundRead,
  type InboundSend,
  type JoinReply,
  type JoinRequest,
  type MembershipEvent,
  WsErrorCode,
} from '@coffeechat/contracts';

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

export interface BackendEvents {
  roomFrame(frame: RoomFrame): void;
  connFrame(frame: ConnFrame): void;
  membership(event: MembershipEvent): void;
  /** the broker connection came back and the room bindings are restored; frames published meanwhile are lost */
  restored(): void;
}

export type SendRequest = Omit<InboundSend, 'kind' | 'replyTo'>;

/**
 * A publish the broker did not confirm in time: the client gets UNAVAILABLE, but the broker may well
 * have the message (a late confirm), so its ack may still come.
 */
export class UnconfirmedPublish extends CodedError<typeof WsErrorCode.UNAVAILABLE> {
  constructor(message: string) {
    super(WsErrorCode.UNAVAILABLE, message);
  }
}

/**
 * Every method that talks to a backend rejects with `CodedError('UNAVAILABLE')` when it cannot
 * (`UnconfirmedPublish` when it cannot tell).
 */
export interface ChatBackend {
  isUp(): boolean;
  /**
   * Starts delivering events (as soon as the backend is reachable; it does not wait for it). The room
   * bindings are restored after a reconnect before `restored` is reported.
   */
  start(events: BackendEvents): void;
  /** resolves once room traffic reaches this gateway */
  bindRoom(roomId: string): Promise<void>;
  unbindRoom(roomId: string): Promise<void>;
  join(request: JoinRequest): Promise<JoinReply>;
  /** resolves once the broker has the message durably; `UnconfirmedPublish` when that is not known in time */
  publishSend(request: SendRequest): Promise<void>;
  publishRead(request: Omit<InboundRead, 'kind'>): Promise<void>;
  publishTyping(roomId: string, userId: string, frame: string): Promise<void>;
  close(): Promise<void>;
}
