import { describe, expect, it } from 'vitest';
import { decodeCounts, decodeHeartbeat, decodeOpen, decodeOutboxEntries, decodeRead, decodeSweep } from './replies.js';

describe('script replies', () => {
  it('decodes connect outcomes', () => {
    expect([0, 1, 2, 3].map(decodeOpen)).toEqual(['known', 'added', 'ignored', 'online']);
    expect(() => decodeOpen(7)).toThrow();
  });

  it('decodes heartbeat and sweep counts', () => {
    expect(decodeHeartbeat([0, 5, 2, 1, 1, 3])).toEqual({
      stale: false,
      known: 5,
      added: 2,
      ignored: 1,
      wentOnline: 1,
      removed: 3,
    });
    expect(decodeHeartbeat([1, 0, 0, 0, 0, 0]).stale).toBe(true);
    expect(decodeCounts([2, 3, 1])).toEqual({ onlineUsers: 2, connections: 3, gateways: 1 });
    expect(decodeSweep([1, 2, 30, 40])).toEqual({ more: true, offline: 2, lagsMs: [30, 40] });
  });

  it('reports online users as seen now, unknown users as never seen', () => {
    const read = decodeRead(['a', 'b', 'c'], [1000, 1, '900', '3', 0, '800', '4', 0, null, null]);
    expect(read.get('a')).toEqual({ status: 'online', lastSeen: 1000, version: 3 });
    expect(read.get('b')).toEqual({ status: 'offline', lastSeen: 800, version: 4 });
    expect(read.get('c')).toEqual({ status: 'offline', lastSeen: null, version: 0 });
  });

  it('decodes outbox entries and flags invalid ones', () => {
    const entries = decodeOutboxEntries([
      ['1-0', ['u', 'alice', 's', 'online', 'ts', '123', 'v', '1']],
      ['2-0', ['u', 'bob', 's', 'away', 'ts', '123', 'v', '1']],
      ['3-0', null],
    ]);
    expect(entries).toEqual([
      { id: '1-0', change: { userId: 'alice', status: 'online', ts: 123, version: 1 } },
      { id: '2-0', change: undefined },
      { id: '3-0', change: undefined },
    ]);
  });
});
