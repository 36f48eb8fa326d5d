import { describe, expect, it } from 'vitest';
import { LocalConnections } from './local-connections.js';

describe('LocalConnections', () => {
  it('counts devices per user and splits the heartbeat list', () => {
    const l = new LocalConnections();
    l.add('c1', 'alice');
    l.add('c2', 'alice');
    l.add('c3', 'bob');
    expect(l.chunks(2)).toEqual([
      [
        ['alice', 'c1'],
        ['alice', 'c2'],
      ],
      [['bob', 'c3']],
    ]);
    l.remove('c1');
    expect(l.has('alice')).toBe(true);
    l.remove('c2');
    expect(l.has('alice')).toBe(false);
    l.remove('c3');
    expect(l.chunks(2)).toEqual([[]]);
  });
});
