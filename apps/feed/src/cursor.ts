/**
 * The feed's opaque cursor: the (createdAt, postId) of the last post of a page. The next page holds
 * the posts strictly below it in (createdAt desc, postId desc) order, so posts that arrive meanwhile
 * (always above, newer) neither shift nor repeat what follows: no duplicates, no gaps.
 */
export interface FeedPosition {
  createdAt: number;
  postId: string;
}

const SHAPE = /^([0-9a-z]{1,11})\.([A-Za-z0-9_-]{1,64})$/;

export function encodeCursor(p: FeedPosition): string {
  return Buffer.from(`${p.createdAt.toString(36)}.${p.postId}`).toString('base64url');
}

/** The position in a cursor, or null when it is not one this service made. */
export function decodeCursor(cursor: string): FeedPosition | null {
  if (!/^[A-Za-z0-9_-]+$/.test(cursor)) return null;
  const match = SHAPE.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!match?.[1] || !match[2]) return null;
  const createdAt = Number.parseInt(match[1], 36);
  if (!Number.isSafeInteger(createdAt)) return null;
  return { createdAt, postId: match[2] };
}
