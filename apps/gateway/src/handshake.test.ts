import { describe, expect, it } from 'vitest';
import { judgeUpgrade, originAllowed } from './handshake.js';

const req = (over: Partial<{ queryToken: string; authorization: string; origin: string }>) => ({
  queryToken: '',
  authorization: '',
  origin: '',
  ...over,
});

describe('judgeUpgrade', () => {
  it('takes the token from ?token= or from a Bearer header', () => {
    expect(judgeUpgrade(req({ queryToken: 'a.b.c' }), [])).toEqual({ ok: true, token: 'a.b.c' });
    expect(judgeUpgrade(req({ authorization: 'Bearer x.y.z' }), [])).toEqual({ ok: true, token: 'x.y.z' });
  });

  it('answers 401 without a token, also for another auth scheme', () => {
    expect(judgeUpgrade(req({}), [])).toMatchObject({ ok: false, status: 401 });
    expect(judgeUpgrade(req({ authorization: 'Basic Zm9v' }), [])).toMatchObject({ ok: false, status: 401 });
  });

  it('answers 403 for an Origin outside a non-empty list, before looking at the token', () => {
    const allowed = ['https://coffeechat.dev'];
    expect(judgeUpgrade(req({ origin: 'https://evil.example', queryToken: 't' }), allowed)).toMatchObject({
      status: 403,
    });
    expect(judgeUpgrade(req({ origin: 'https://coffeechat.dev', queryToken: 't' }), allowed)).toMatchObject({
      ok: true,
    });
  });
});

describe('originAllowed', () => {
  it('allows any origin with an empty list and requests without Origin (non-browser clients)', () => {
    expect(originAllowed('https://a', [])).toBe(true);
    expect(originAllowed('', ['https://a'])).toBe(true);
    expect(originAllowed('https://b', ['https://a'])).toBe(false);
  });
});
