/**
 * The root span of the work a client frame starts across services: a `send` is one trace from here through
 * the router and MongoDB to every receiving gateway. Frames that stay in this gateway get none.
 */
import type { ClientFrame } from '@coffeechat/contracts';
import { SpanKind, withSpan } from '@coffeechat/telemetry';

export function traceFrame(frame: ClientFrame, handle: () => Promise<void>): Promise<void> {
  if (frame.type === 'ping' || frame.type === 'leave' || frame.type === 'refresh') return handle();
  // ids help find a message's trace; the body never goes into a span. Built only for a span that records.
  const attributes = () => {
    const out: Record<string, string> = { 'coffeechat.frame.type': frame.type, 'coffeechat.room.id': frame.roomId };
    if (frame.type === 'send') out['coffeechat.client_msg_id'] = frame.clientMsgId;
    return out;
  };
  return withSpan(`ws ${frame.type}`, { kind: SpanKind.SERVER, attributes }, handle);
}
