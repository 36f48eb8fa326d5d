/** The opaque `/me/rooms` cursor: the last room id of the page, base64url-encoded. */
import { HttpProblem } from '@coffeechat/service-kit';

const ROOM_ID = /^[A-Za-z0-9_-]{1,64}$/;

export const encodeCursor = (roomId: string): string => Buffer.from(roomId, 'utf8').toString('base64url');

export function decodeCursor(cursor: string): string {
  const roomId = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!ROOM_ID.test(roomId) || encodeCursor(roomId) !== cursor) {
    throw new HttpProblem('BAD_REQUEST', 'query.cursor: not a cursor this API returned', 'cursor');
  }
  return roomId;
}
