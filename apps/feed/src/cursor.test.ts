import { describe, expect, it } from 'vitest';
import { decodeCursor, encodeCursor } from './cursor.js';

describe('feed cursor', () => {
  it('round-trips a position and is URL-safe', () => {
    const p = { createdAt: 1_714_564_800_123, postId: 'aB3_-x9' };
    const c = encodeCursor(p);
    expect(c).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(c)).toEqual(p);
  });

  it.each([
    ['empty', ''],
    ['not base64url', 'abc+/='],
    ['random text', Buffer.from('hello world').toString('base64url')],
    ['bad id', Buffer.from('kv1.a b').toString('base64url')],
    ['no time', Buffer.from('.abc').toString('base64url')],
    ['huge time', Buffer.from('zzzzzzzzzzz.abc').toString('base64url')],
  ])('rejects %s', (_name, cursor) => {
    expect(decodeCursor(cursor)).toBeNull();
  });
});
