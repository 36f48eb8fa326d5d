import { describe, expect, it } from 'vitest';
import { parseUserIds } from './user-ids.js';

describe('parseUserIds', () => {
  it('splits a comma list and answers duplicates once', () => {
    expect(parseUserIds('a,b,a')).toEqual({ ok: true, userIds: ['a', 'b'] });
  });

  it('rejects empty ids', () => {
    expect(parseUserIds('a,,b').ok).toBe(false);
    expect(parseUserIds(',').ok).toBe(false);
    expect(parseUserIds('a,').ok).toBe(false);
  });

  it('takes 100 ids and rejects 101', () => {
    const ids = Array.from({ length: 101 }, (_, i) => `u${i}`);
    expect(parseUserIds(ids.slice(0, 100).join(',')).ok).toBe(true);
    expect(parseUserIds(ids.join(','))).toEqual({ ok: false, message: 'userIds: at most 100 ids' });
  });

  it('rejects ids a JWT sub cannot be', () => {
    expect(parseUserIds('a b').ok).toBe(false);
    expect(parseUserIds('x'.repeat(129)).ok).toBe(false);
  });
});
