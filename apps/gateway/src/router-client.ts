/**
 * What the gateway asks of the message-routers (implemented in `amqp/amqp-router-client.ts`): joins
 * answered by any router, and sends and read markers into the room's partition.
 */
import {
  CodedError,
  type InboundRead,
  type InboundSend,
  type JoinReply,
  type JoinRequest,
  WsErrorCode,
} from '@coffeechat/contracts';

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
 * Every method rejects with `CodedError('UNAVAILABLE')` when the broker or the routers cannot be
 * reached (`UnconfirmedPublish` when it cannot tell).
 */
export interface RouterClient {
  start(): void;
  join(request: JoinRequest): Promise<JoinReply>;
  /** resolves once the broker has the message durably; `UnconfirmedPublish` when that is not known in time */
  publishSend(request: SendRequest): Promise<void>;
  publishRead(request: Omit<InboundRead, 'kind'>): Promise<void>;
  close(): Promise<void>;
}
