/** Frame parsing (contracts `parseClientFrame`) under property-based tests with the fuzzers' frames. */
import { ClientFrames, ErrorFrame, parseClientFrame, validator } from '@coffeechat/contracts';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { mutatedFrame, randomText, validFrame } from './fuzz-frames.js';

const world = { rooms: ['r1', 'r2'] };
const schemaOf = Object.fromEntries(Object.entries(ClientFrames).map(([type, schema]) => [type, validator(schema)]));
const errorFrame = validator(ErrorFrame);

/** What the contracts say about a text, independently of the parser: a known type whose schema accepts it. */
function acceptable(text: string): boolean {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return false;
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const type = (value as { type?: unknown }).type;
  return typeof type === 'string' && Object.hasOwn(schemaOf, type) && schemaOf[type]?.check(value) === true;
}

describe('parseClientFrame (property-based)', () => {
  it('accepts every valid frame as it is', () => {
    fc.assert(
      fc.property(validFrame(world), (frame) => {
        expect(parseClientFrame(JSON.stringify(frame))).toEqual({ ok: true, frame });
      }),
      { numRuns: 2000 },
    );
  });

  it('never throws, and accepts exactly what the schemas accept, for mutated frames and random text', () => {
    fc.assert(
      fc.property(fc.oneof(mutatedFrame(world), randomText), (text) => {
        const parsed = parseClientFrame(text);
        expect(parsed.ok).toBe(acceptable(text));
      }),
      { numRuns: 5000 },
    );
  });

  it('a rejection carries a message and only an id its error frame may echo', () => {
    fc.assert(
      fc.property(fc.oneof(mutatedFrame(world), randomText), (text) => {
        const parsed = parseClientFrame(text);
        if (parsed.ok) return;
        expect(parsed.message.length).toBeGreaterThan(0);
        const reply = {
          type: 'error',
          code: 'BAD_REQUEST',
          message: parsed.message,
          ...(parsed.id !== undefined ? { id: parsed.id } : {}),
        };
        expect(errorFrame.check(reply)).toBe(true);
      }),
      // an empty id is no frame id: it must not be echoed
      { numRuns: 5000, examples: [['{"type":"ping","id":""}'], ['{"type":"join","id":"","roomId":"a b"}']] },
    );
  });
});
