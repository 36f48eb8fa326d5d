import { describe, expect, it } from 'vitest';
import { PresenceCache } from './presence-cache.js';

describe('PresenceCache', () => {
  it('keeps the newest version whatever order changes and answers arrive in', () => {
    const c = new PresenceCache();
    expect(c.statusOf('bob')).toBe('offline');
    expect(c.apply({ userId: 'bob', status: 'offline', ts: 3, version: 2 })).toBe(true);
    expect(c.apply({ userId: 'bob', status: 'online', ts: 1, version: 1 })).toBe(false);
    expect(c.merge('bob', { status: 'online', version: 2 })).toBe(false);
    expect(c.statusOf('bob')).toBe('offline');
    expect(c.merge('bob', { status: 'online', version: 3 })).toBe(true);
    expect(c.statusOf('bob')).toBe('online');
    c.forget('bob');
    expect(c.versionOf('bob')).toBe(0);
  });
});
