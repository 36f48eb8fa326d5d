import { describe, expect, it } from 'vitest';
import { ConnectionQuota } from './connection-quota.js';

describe('ConnectionQuota', () => {
  it('admits 10 sockets per user, refuses the 11th, and admits again once one closed', () => {
    const quota = new ConnectionQuota({ perUser: 10, perIp: 0 });
    for (let i = 0; i < 10; i++) expect(quota.acquire('alice', `10.0.0.${i}`)).toEqual({ ok: true });
    expect(quota.acquire('alice', '10.0.0.99')).toEqual({ ok: false, message: 'at most 10 open connections per user' });
    expect(quota.acquire('bob', '10.0.0.1').ok).toBe(true);
    quota.release('alice', '10.0.0.3');
    expect(quota.acquire('alice', '10.0.0.99').ok).toBe(true);
    expect(quota.openFor('alice')).toBe(10);
  });

  it('bounds sockets per address when asked to', () => {
    const quota = new ConnectionQuota({ perUser: 10, perIp: 2 });
    expect(quota.acquire('a', 'ip').ok).toBe(true);
    expect(quota.acquire('b', 'ip').ok).toBe(true);
    expect(quota.acquire('c', 'ip')).toEqual({ ok: false, message: 'at most 2 open connections per address' });
    expect(quota.openFor('c')).toBe(0);
    quota.release('a', 'ip');
    expect(quota.acquire('c', 'ip').ok).toBe(true);
  });
});
