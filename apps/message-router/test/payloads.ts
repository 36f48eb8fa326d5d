/** What a gateway puts on a partition queue, for the unit tests. */
import type { InboundSend } from '@coffeechat/contracts';

export const inboundSend = (fields: Partial<InboundSend> = {}): InboundSend => ({
  kind: 'send',
  roomId: 'r1',
  senderId: 'u1',
  clientMsgId: 'c1',
  body: 'hi',
  replyTo: 'q',
  connId: 'k',
  receivedAt: 1,
  ...fields,
});
