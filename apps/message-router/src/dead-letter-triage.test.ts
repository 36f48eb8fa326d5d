import { partitionOf } from '@coffeechat/contracts';
import { describe, expect, it } from 'vitest';
import { inboundSend } from '../test/payloads.js';
import { describeDeadLetter, replayTarget } from './dead-letter-triage.js';

const send = inboundSend({ roomId: 'room-7' });

describe('describeDeadLetter', () => {
  it('reads what RabbitMQ recorded for a message past the delivery limit', () => {
    const d = describeDeadLetter({
      content: Buffer.from('{"x":1}'),
      routingKey: 'p3',
      headers: {
        'x-death': [
          {
            count: 1,
            reason: 'delivery_limit',
            queue: 'ns.inbound.p3',
            time: { '!': 'timestamp', value: 1_700_000_000 },
          },
        ],
        'x-first-death-reason': 'delivery_limit',
        'x-first-death-queue': 'ns.inbound.p3',
      },
    });
    expect(d).toEqual({
      reason: 'delivery_limit',
      partition: 3,
      deaths: 1,
      firstDeathAt: '2023-11-14T22:13:20.000Z',
      body: '{"x":1}',
    });
  });

  it("prefers the router's own reason and copes with missing headers", () => {
    const d = describeDeadLetter({
      content: Buffer.from('x'.repeat(5000)),
      routingKey: 'p12',
      headers: { 'x-dead-reason': 'body: too long' },
    });
    expect(d).toMatchObject({ reason: 'body: too long', partition: 12, deaths: 1, firstDeathAt: null });
    expect(d.body).toHaveLength(4096);
    expect(describeDeadLetter({ content: Buffer.from(''), routingKey: 'whatever', headers: {} })).toMatchObject({
      reason: 'unknown',
      partition: null,
    });
  });
});

describe('replayTarget', () => {
  it("sends a valid payload to its room's partition, recomputed from the room id", () => {
    expect(replayTarget(Buffer.from(JSON.stringify(send)), 16)).toEqual({
      kind: 'partition',
      partition: partitionOf('room-7', 16),
    });
  });

  it('keeps an invalid one dead, with the reason', () => {
    const t = replayTarget(Buffer.from('nope'), 16);
    expect(t).toMatchObject({ kind: 'dead' });
    if (t.kind === 'dead') expect(t.reason).toMatch(/still invalid.*JSON/);
  });
});
