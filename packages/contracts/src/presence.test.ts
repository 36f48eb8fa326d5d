import { describe, expect, it } from 'vitest';
import { heartbeatIntervalMs, presenceKey } from './presence.js';

describe('presenceKey', () => {
  it('is the user id when it fits an AMQP routing key', () => {
    expect(presenceKey('alice')).toBe('u.alice');
    expect(presenceKey('a.b#*')).toBe('u.a.b#*');
  });

  it('hashes ids whose UTF-8 form is too long for a routing key, stably', () => {
    const long = '\u{1F600}'.repeat(128);
    const key = presenceKey(long);
    expect(key).toMatch(/^h\.[0-9a-f]+\.[0-9a-f]+$/);
    expect(presenceKey(long)).toBe(key);
  });
});

describe('heartbeatIntervalMs', () => {
  it('beats three times per TTL', () => {
    expect(heartbeatIntervalMs(30)).toBe(10_000);
    expect(heartbeatIntervalMs(3)).toBe(1000);
  });
});
