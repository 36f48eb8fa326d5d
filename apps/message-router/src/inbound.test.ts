import { describe, expect, it } from 'vitest';
import { inboundSend } from '../test/payloads.js';
import { parseInbound } from './inbound.js';

const send = inboundSend();
const buf = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v));

describe('parseInbound', () => {
  it('accepts the send and read payloads of docs/internals.md', () => {
    expect(parseInbound(buf(send))).toEqual({ ok: true, value: send });
    const read = { kind: 'read', roomId: 'r1', userId: 'u1', seq: 3 };
    expect(parseInbound(buf(read))).toEqual({ ok: true, value: read });
  });

  it.each([
    ['not JSON', 'hello', /not valid JSON/],
    ['unknown kind', { ...send, kind: 'shout' }, /kind/],
    ['no kind', { roomId: 'r1' }, /kind/],
    ['JSON null', 'null', /kind/],
    ['empty body', { ...send, body: '' }, /body/],
    ['body too long', { ...send, body: 'x'.repeat(4001) }, /body/],
    ['clientMsgId too long', { ...send, clientMsgId: 'c'.repeat(65) }, /clientMsgId/],
    ['missing replyTo', { ...send, replyTo: undefined }, /replyTo/],
    ['bad room id', { ...send, roomId: 'a b' }, /roomId/],
    ['unknown field', { ...send, extra: 1 }, /extra|propert/i],
    ['negative read seq', { kind: 'read', roomId: 'r', userId: 'u', seq: -1 }, /seq/],
  ])('rejects %s with a reason naming the problem', (_name, payload, reason) => {
    const parsed = parseInbound(buf(payload));
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.reason).toMatch(reason);
  });
});
