/**
 * The gateway's protocol state machine under property-based tests (issue 13): random sequences of client
 * frames (valid, mutated, random: testkit's fuzz frames) from several connections, interleaved with the
 * router's answers, membership removals and broker reconnects. After every step: nothing threw, every
 * frame written is a documented server frame (no INTERNAL), typing reached the broker only from a
 * connection whose `joined` it had been told (and not `left` or `removed` since), and the registry holds
 * exactly the open connections.
 */
import { type JoinReply, ServerFrames, type ServerFrameType, validator } from '@coffeechat/contracts';
import { mutatedFrame, randomText, validFrame } from '@coffeechat/testkit';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { accepted, type Connection, setup, tick } from '../test/protocol-fixture.js';

const ROOMS = ['r1', 'r2'];
const USERS = ['ann', 'ben', 'cat'];
const serverFrame = Object.fromEntries(Object.entries(ServerFrames).map(([type, schema]) => [type, validator(schema)]));

type Step =
  | { kind: 'frame'; who: number; text: string }
  | { kind: 'answer'; accept: boolean }
  | { kind: 'removed'; who: number; room: string }
  | { kind: 'restored' };

const world = { rooms: ROOMS };
/** mostly frames that parse, so that connections get far into the protocol */
const text = fc.oneof(
  { weight: 6, arbitrary: validFrame(world).map((f) => JSON.stringify(f)) },
  { weight: 2, arbitrary: mutatedFrame(world) },
  { weight: 1, arbitrary: randomText },
);

const step: fc.Arbitrary<Step> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(fc.nat({ max: USERS.length - 1 }), text)
      .map(([who, t]): Step => ({ kind: 'frame', who, text: t })),
  },
  { weight: 3, arbitrary: fc.boolean().map((accept): Step => ({ kind: 'answer', accept })) },
  {
    weight: 1,
    arbitrary: fc
      .tuple(fc.nat({ max: USERS.length - 1 }), fc.constantFrom(...ROOMS))
      .map(([who, room]): Step => ({ kind: 'removed', who, room })),
  },
  { weight: 1, arbitrary: fc.constant<Step>({ kind: 'restored' }) },
);

describe('ChatProtocol state machine (property-based)', () => {
  it('keeps its promises under any sequence of frames and backend events', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 120, size: 'large' }), async (steps) => {
        const { connect, backend, events, hub, sessions, protocol } = setup({ graceSec: 10 });
        const conns: Connection[] = USERS.map((userId) => connect(userId));
        let answered = 0;
        let typings = 0;
        const seen = conns.map(() => 0);
        /** per connection: the rooms whose `joined` it was told and not `left`/`removed` since */
        const told = conns.map(() => new Set<string>());
        for (const s of steps) {
          if (s.kind === 'frame') {
            const conn = conns[s.who];
            // a closed socket receives nothing more
            if (conn && !conn.socket.ended)
              protocol.receive(conn.session, new TextEncoder().encode(s.text).buffer as ArrayBuffer, false);
          } else if (s.kind === 'answer') {
            const pending = backend.joins[answered];
            if (pending) {
              answered += 1;
              const roomId = pending.request.roomId;
              const refused: JoinReply = { ok: false, code: 'NOT_A_MEMBER', message: 'no' };
              pending.reply.resolve(
                s.accept ? { ...(accepted(0) as Extract<JoinReply, { ok: true }>), roomId, members: USERS } : refused,
              );
            }
          } else if (s.kind === 'removed')
            events.membership({ kind: 'removed', roomId: s.room, userId: USERS[s.who] ?? '', at: 1 });
          else void hub.resync(() => undefined);
          await tick();
          // what each socket was written since the last step
          conns.forEach((c, i) => {
            for (const written of c.socket.sent.slice(seen[i])) {
              const { type, code, roomId } = written as { type: string; code?: unknown; roomId?: unknown };
              const check = serverFrame[type as ServerFrameType];
              expect(check?.check(written), JSON.stringify(written)).toBe(true);
              expect(code).not.toBe('INTERNAL');
              if (type === 'joined') told[i]?.add(String(roomId));
              if (type === 'left' || type === 'removed') told[i]?.delete(String(roomId));
            }
            seen[i] = c.socket.sent.length;
          });
          for (const typing of backend.typings.slice(typings)) {
            const { roomId, userId } = JSON.parse(typing) as { roomId: string; userId: string };
            expect(told[USERS.indexOf(userId)]?.has(roomId), `typing from ${userId} in ${roomId}`).toBe(true);
          }
          typings = backend.typings.length;
          expect(sessions.size).toBe(conns.filter((c) => !c.socket.ended).length);
        }
      }),
      { numRuns: 300 },
    );
  });
});
