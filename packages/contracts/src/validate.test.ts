import { describe, expect, it } from 'vitest';
import { parseClientFrame } from './validate.js';

describe('parseClientFrame', () => {
  it('accepts every client frame of SPEC §4', () => {
    for (const frame of [
      { type: 'join', roomId: 'r1' },
      { type: 'join', roomId: 'r1', afterSeq: 10, id: 'j1' },
      { type: 'leave', roomId: 'r1' },
      { type: 'send', roomId: 'r1', clientMsgId: 'c1', body: 'hi' },
      { type: 'typing', roomId: 'r1' },
      { type: 'read', roomId: 'r1', seq: 3 },
      { type: 'ping', id: 'p' },
    ]) {
      expect(parseClientFrame(JSON.stringify(frame))).toEqual({ ok: true, frame });
    }
  });

  it.each([
    ['not json', '{', /not valid JSON/],
    ['array', '[]', /JSON object/],
    ['unknown type', '{"type":"shout"}', /unknown frame type/],
    ['missing type', '{"roomId":"r"}', /unknown frame type/],
    ['body too long', JSON.stringify({ type: 'send', roomId: 'r', clientMsgId: 'c', body: 'x'.repeat(4001) }), /body/],
    ['empty body', JSON.stringify({ type: 'send', roomId: 'r', clientMsgId: 'c', body: '' }), /body/],
    [
      'clientMsgId too long',
      JSON.stringify({ type: 'send', roomId: 'r', clientMsgId: 'c'.repeat(65), body: 'b' }),
      /clientMsgId/,
    ],
    ['wrong field type', JSON.stringify({ type: 'read', roomId: 'r', seq: '3' }), /seq/],
    ['negative seq', JSON.stringify({ type: 'join', roomId: 'r', afterSeq: -1 }), /afterSeq/],
    ['unknown field', JSON.stringify({ type: 'ping', extra: 1 }), /extra|property/i],
    ['bad room id', JSON.stringify({ type: 'join', roomId: 'a b' }), /roomId/],
  ])('rejects %s with a message naming the problem', (_name, text, pattern) => {
    const result = parseClientFrame(text);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.message).toMatch(pattern);
  });

  it('keeps the frame id of a rejected frame so the error can echo it', () => {
    const result = parseClientFrame(JSON.stringify({ type: 'send', id: 'x1', roomId: 'r' }));
    expect(result).toMatchObject({ ok: false, id: 'x1' });
  });
});
