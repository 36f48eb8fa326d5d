/**
 * The `message` frame, serialized in one place: the router publishes these bytes live and gateways
 * forward them unchanged, and a gateway writes a replayed message with the same function, so a message
 * reads byte for byte the same whether it arrived live or in a replay (a client may compare them).
 */
import type { MessageFrame } from './frames.js';
import type { StoredMessage } from './http.js';

/** Only the frame's fields, in the frame's order, whatever else the stored message carries. */
export const messageFrame = (m: StoredMessage): MessageFrame => ({
  type: 'message',
  roomId: m.roomId,
  seq: m.seq,
  senderId: m.senderId,
  clientMsgId: m.clientMsgId,
  body: m.body,
  ts: m.ts,
});

export const messageFrameJson = (m: StoredMessage): string => JSON.stringify(messageFrame(m));
