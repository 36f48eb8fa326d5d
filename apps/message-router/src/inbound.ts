/**
 * What a gateway put on a partition queue: one delivery as the partition worker sees it (the AMQP
 * adapter makes them), and its parsing: JSON, then the contracts schema of its `kind`.
 */
import { type Inbound, InboundRead, InboundSend, validator } from '@coffeechat/contracts';
import type { ConsumeSpan } from '@coffeechat/telemetry';
import type { PublishOptions } from './publications.js';

export interface InboundDelivery {
  content: Buffer;
  redelivered: boolean;
  /** the partition's routing key and the message's properties, to dead-letter a copy as RabbitMQ would */
  routingKey: string;
  properties: PublishOptions;
  /** when the gateway published it (epoch ms), for the inbound hop */
  sentAt?: number;
  /** its CONSUMER span, from arrival until it is settled */
  span?: ConsumeSpan;
}

const byKind = { send: validator(InboundSend), read: validator(InboundRead) } as const;

export type ParsedInbound = { ok: true; value: Inbound } | { ok: false; reason: string };

export function parseInbound(content: Buffer): ParsedInbound {
  let value: unknown;
  try {
    value = JSON.parse(content.toString('utf8'));
  } catch {
    return { ok: false, reason: 'payload is not valid JSON' };
  }
  const kind = (value as { kind?: unknown } | null)?.kind;
  // Validating against the member the payload names (not the union) gives a message naming the field.
  if (kind !== 'send' && kind !== 'read') return { ok: false, reason: 'kind: must be "send" or "read"' };
  const result = byKind[kind].validate(value);
  return result.ok ? { ok: true, value: result.value } : { ok: false, reason: result.message };
}
