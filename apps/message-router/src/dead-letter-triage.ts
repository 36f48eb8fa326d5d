/** Describing a dead letter and deciding where a replay sends it. Pure; the I/O is in amqp/dead-letter-admin.ts. */
import { type DeadLetter, Header, partitionOf } from '@coffeechat/contracts';
import { parseInbound } from './inbound.js';

export interface RawDeadLetter {
  content: Buffer;
  routingKey: string;
  headers: Record<string, unknown>;
}

interface Death {
  count?: unknown;
  reason?: unknown;
  queue?: unknown;
  time?: unknown;
}

const BODY_MAX = 4096;

function firstDeath(headers: Record<string, unknown>): Death | undefined {
  const deaths = headers['x-death'];
  return Array.isArray(deaths) ? (deaths[deaths.length - 1] as Death | undefined) : undefined;
}

/** `p<N>` routing key or `<ns>.inbound.p<N>` queue → N */
function partitionFrom(...names: unknown[]): number | null {
  for (const name of names) {
    const match = typeof name === 'string' ? /(?:^|\.)p(\d+)$/.exec(name) : null;
    if (match) return Number(match[1]);
  }
  return null;
}

function timeOf(value: unknown): string | null {
  // amqplib decodes AMQP timestamps in x-death as { '!': 'timestamp', value: seconds }
  const seconds = typeof value === 'object' && value !== null ? (value as { value?: unknown }).value : value;
  return typeof seconds === 'number' ? new Date(seconds * 1000).toISOString() : null;
}

export function describeDeadLetter({ content, routingKey, headers }: RawDeadLetter): DeadLetter {
  const death = firstDeath(headers);
  const reason = headers[Header.deadReason] ?? headers['x-first-death-reason'] ?? death?.reason ?? 'unknown';
  const deaths = Array.isArray(headers['x-death'])
    ? (headers['x-death'] as Death[]).reduce((n, d) => n + (typeof d.count === 'number' ? d.count : 1), 0)
    : 1;
  return {
    reason: String(reason),
    partition: partitionFrom(routingKey, headers['x-first-death-queue'], death?.queue),
    deaths,
    firstDeathAt: timeOf(death?.time),
    body: content.toString('utf8').slice(0, BODY_MAX),
  };
}

export type ReplayTarget = { kind: 'partition'; partition: number } | { kind: 'dead'; reason: string };

/** A valid payload goes to its room's partition (recomputed, not trusted); anything else stays dead. */
export function replayTarget(content: Buffer, partitions: number): ReplayTarget {
  const parsed = parseInbound(content);
  if (!parsed.ok) return { kind: 'dead', reason: `still invalid on replay: ${parsed.reason}` };
  return { kind: 'partition', partition: partitionOf(parsed.value.roomId, partitions) };
}
