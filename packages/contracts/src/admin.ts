/** Operator endpoints of the message-router: inspecting and replaying dead letters. */
import { type Static, Type } from '@sinclair/typebox';
import { QueryLimit } from './http.js';
import { IsoTime } from './ids.js';

const strict = { additionalProperties: false } as const;

export const DeadLettersQuery = Type.Object({ limit: Type.Optional(QueryLimit) }, strict);

export const DeadLetter = Type.Object(
  {
    /** why it was dead-lettered: the router's `x-dead-reason`, else RabbitMQ's (`delivery_limit`, `rejected`, …) */
    reason: Type.String(),
    /** the partition it came from, when known */
    partition: Type.Union([Type.Integer({ minimum: 0 }), Type.Null()]),
    /** how many times it has been dead-lettered */
    deaths: Type.Integer({ minimum: 0 }),
    firstDeathAt: Type.Union([IsoTime, Type.Null()]),
    /** the payload as UTF-8 text (at most 4096 characters) */
    body: Type.String(),
  },
  strict,
);
export type DeadLetter = Static<typeof DeadLetter>;

export const DeadLettersResponse = Type.Object(
  { total: Type.Integer({ minimum: 0 }), deadLetters: Type.Array(DeadLetter) },
  strict,
);
export type DeadLettersResponse = Static<typeof DeadLettersResponse>;

export const ReplayDeadLettersBody = Type.Object(
  { limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000 })) },
  strict,
);
export type ReplayDeadLettersBody = Static<typeof ReplayDeadLettersBody>;

export const ReplayDeadLettersResponse = Type.Object(
  {
    /** moved back to their partition queue */
    replayed: Type.Integer({ minimum: 0 }),
    /** still invalid: put back on the dead-letter queue (at its end) with the reason */
    deadAgain: Type.Integer({ minimum: 0 }),
    /** left on the dead-letter queue afterwards */
    remaining: Type.Integer({ minimum: 0 }),
  },
  strict,
);
export type ReplayDeadLettersResponse = Static<typeof ReplayDeadLettersResponse>;

export const AdminLimits = { deadLettersPageDefault: 50, deadLettersPageMax: 200, replayDefault: 100 } as const;
