import { describe, expect, it } from 'vitest';
import { connectSources, contentSecurityPolicy } from './security-headers.js';

describe('connectSources', () => {
  it('takes the origins of the configured URLs', () => {
    expect(
      connectSources(
        {
          gatewayUrl: 'wss://chat.example.com/ws',
          routerUrl: 'https://chat.example.com/',
          feedUrl: 'https://chat.example.com',
        },
        'coffeechat.example.com',
      ),
    ).toEqual(["'self'", 'wss://chat.example.com', 'https://chat.example.com']);
  });

  it('falls back to the page host on the default ports, either scheme, as the page does', () => {
    expect(connectSources({ routerUrl: 'http://10.0.0.5:9081' }, '127.0.0.1')).toEqual([
      "'self'",
      'ws://127.0.0.1:8080',
      'wss://127.0.0.1:8080',
      'http://10.0.0.5:9081',
      'http://127.0.0.1:8083',
      'https://127.0.0.1:8083',
    ]);
    expect(connectSources({}, '[::1]')).toContain('ws://[::1]:8080');
  });

  it('takes nothing from a Host header that is not a host name', () => {
    for (const host of ['x; script-src *', 'a b', "'unsafe-inline'", undefined]) {
      expect(connectSources({}, host)).toEqual(["'self'"]);
    }
  });
});

describe('contentSecurityPolicy', () => {
  it('allows only the page itself to run code, and no framing', () => {
    const csp = contentSecurityPolicy(["'self'", 'wss://chat.example.com']);
    expect(csp).toContain("connect-src 'self' wss://chat.example.com");
    expect(csp).not.toContain('unsafe');
    expect(csp).toContain("object-src 'none'");
  });
});
