import { Type } from '@sinclair/typebox';
import { Limits } from './limits.js';

/** Room ids travel in routing keys and URLs, so they are kept to a safe alphabet. */
export const RoomId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' });
/** User ids are the JWT `sub` of the main CoffeeChat service: any printable text. */
export const UserId = Type.String({
  minLength: 1,
  maxLength: Limits.idMax,
  pattern: '^[^\\u0000-\\u001f\\s]+$',
});
export const PostId = Type.String({ minLength: 1, maxLength: 64, pattern: '^[A-Za-z0-9_-]+$' });
export const Seq = Type.Integer({ minimum: 0 });
/** Milliseconds since the Unix epoch. */
export const Millis = Type.Integer({ minimum: 0 });
export const IsoTime = Type.String({ format: 'date-time' });
