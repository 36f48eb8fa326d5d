/**
 * Client frames for fuzzing the WebSocket protocol (issue 13), as fast-check arbitraries: valid frames of
 * every type (for rooms the fuzzing users are in or not), the same frames mutated the ways clients get
 * them wrong (a field dropped, retyped, stretched past its bound, an unknown field, a wrong type name,
 * cut-off JSON), and random text and JSON. The property tests of frame parsing and of the gateway's
 * protocol state machine use them, and so does the live fuzzer (`protocol-fuzz.ts`).
 */
import fc from 'fast-check';

export type FuzzFrame =
  | { kind: 'text'; text: string }
  /** a frame over 64 KiB (closes the connection with 1009) */
  | { kind: 'oversize'; bytes: number }
  /** a binary frame (closes the connection with 1008) */
  | { kind: 'binary'; bytes: number };

export interface FrameWorld {
  /** rooms the fuzzing users are members of (joins answered `joined`) */
  rooms: readonly string[];
  /** a valid token for the connection's user, for `refresh` frames (others are made up) */
  token?: string;
}

const roomId = (world: FrameWorld) =>
  fc.oneof(
    { weight: 3, arbitrary: world.rooms.length > 0 ? fc.constantFrom(...world.rooms) : fc.constant('r1') },
    { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/) },
  );
const frameId = fc.option(fc.string({ minLength: 1, maxLength: 64 }), { nil: undefined });
const withId = (frame: Record<string, unknown>, id: string | undefined) =>
  id === undefined ? frame : { ...frame, id };

/** A frame that parses: every client frame type with fields inside their bounds. */
export function validFrame(world: FrameWorld): fc.Arbitrary<Record<string, unknown>> {
  const room = roomId(world);
  const token = fc.oneof(
    fc.constant(world.token ?? 'x.y.z'),
    fc.string({ minLength: 1, maxLength: 200 }),
    fc.constant('eyJhbGciOiJub25lIn0.eyJzdWIiOiJldmUifQ.'),
  );
  return fc.oneof(
    fc
      .tuple(room, fc.option(fc.nat({ max: 1000 }), { nil: undefined }), frameId)
      .map(([roomId, afterSeq, id]) =>
        withId(afterSeq === undefined ? { type: 'join', roomId } : { type: 'join', roomId, afterSeq }, id),
      ),
    fc.tuple(room, frameId).map(([roomId, id]) => withId({ type: 'leave', roomId }, id)),
    fc
      .tuple(room, fc.string({ minLength: 1, maxLength: 64 }), fc.string({ minLength: 1, maxLength: 200 }), frameId)
      .map(([roomId, clientMsgId, body, id]) => withId({ type: 'send', roomId, clientMsgId, body }, id)),
    fc.tuple(room, frameId).map(([roomId, id]) => withId({ type: 'typing', roomId }, id)),
    fc
      .tuple(room, fc.nat({ max: 1000 }), frameId)
      .map(([roomId, seq, id]) => withId({ type: 'read', roomId, seq }, id)),
    fc.tuple(token, frameId).map(([t, id]) => withId({ type: 'refresh', token: t }, id)),
    frameId.map((id) => withId({ type: 'ping' }, id)),
  );
}

/** Values of the wrong kind or past a bound, for a field. */
const badValue = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.integer(),
  fc.double(),
  fc.constant(-1),
  fc.string({ maxLength: 3 }).map((s) => s.replace(/./g, ' ')),
  fc.constant(''),
  fc.constant('x'.repeat(5000)),
  fc.constant('room with spaces'),
  fc.array(fc.string(), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 }), { maxKeys: 3 }),
  fc.constant('\u0000\u001f'),
);

/** A valid frame changed the way a buggy or hostile client would. */
export function mutatedFrame(world: FrameWorld): fc.Arbitrary<string> {
  return validFrame(world).chain((frame) => {
    const fields = Object.keys(frame);
    const field = fc.constantFrom(...fields);
    return fc.oneof(
      field.map((f) => {
        const { [f]: _dropped, ...rest } = frame;
        return JSON.stringify(rest);
      }),
      fc.tuple(field, badValue).map(([f, v]) => JSON.stringify({ ...frame, [f]: v })),
      fc
        .tuple(fc.string({ minLength: 1, maxLength: 10 }), fc.jsonValue())
        .map(([k, v]) => JSON.stringify({ ...frame, [k === 'type' ? 'typ' : k]: v })),
      fc
        .oneof(fc.constantFrom('JOIN', 'pong', 'hello', 'message', '', 'refreshed', '__proto__'), fc.string())
        .map((type) => JSON.stringify({ ...frame, type })),
      fc.nat().map((n) => {
        const text = JSON.stringify(frame);
        return text.slice(0, n % text.length);
      }),
      fc.constant(JSON.stringify([frame])),
      fc.constant(`${JSON.stringify(frame)}${JSON.stringify(frame)}`),
    );
  });
}

/** Any text: JSON of any shape, or none at all. */
export const randomText: fc.Arbitrary<string> = fc.oneof(
  fc.json({ maxDepth: 3 }),
  fc.string({ maxLength: 300 }),
  fc.string({ unit: 'binary', maxLength: 100 }),
  fc.constantFrom('{}', '[]', 'null', '0', '"join"', '{"type":null}', '{"type":{"toString":1}}'),
);

/** The mix the fuzzers send: mostly valid and mutated frames, some random text, a few frames that close. */
export function fuzzFrame(world: FrameWorld): fc.Arbitrary<FuzzFrame> {
  return fc.oneof(
    { weight: 40, arbitrary: validFrame(world).map((f): FuzzFrame => ({ kind: 'text', text: JSON.stringify(f) })) },
    { weight: 40, arbitrary: mutatedFrame(world).map((text): FuzzFrame => ({ kind: 'text', text })) },
    { weight: 18, arbitrary: randomText.map((text): FuzzFrame => ({ kind: 'text', text })) },
    {
      weight: 1,
      arbitrary: fc
        .integer({ min: 64 * 1024 + 1, max: 100 * 1024 })
        .map((bytes): FuzzFrame => ({ kind: 'oversize', bytes })),
    },
    { weight: 1, arbitrary: fc.integer({ min: 1, max: 64 }).map((bytes): FuzzFrame => ({ kind: 'binary', bytes })) },
  );
}
