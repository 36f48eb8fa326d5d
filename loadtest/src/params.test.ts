import { describe, expect, it } from 'vitest';
import { DEFAULTS, ParamError, parseParams } from './params.js';

describe('parseParams', () => {
  it('starts from the scenario defaults', () => {
    expect(parseParams('smoke', [])).toEqual(DEFAULTS.smoke);
  });

  it('takes overrides, lists and flags in kebab case', () => {
    const p = parseParams('capacity', ['--rooms=10', '--rate-per-room=1.5', '--steps=100,200', '--driver=raw']);
    expect(p).toMatchObject({ rooms: 10, ratePerRoom: 1.5, steps: [100, 200], driver: 'raw' });
  });

  it('refuses what it does not know or what breaks the protocol', () => {
    expect(() => parseParams('smoke', ['--nope=1'])).toThrow(ParamError);
    expect(() => parseParams('smoke', ['--members=5'])).toThrow(/1\.\.4/);
    expect(() => parseParams('smoke', ['rooms=1'])).toThrow(/--name=value/);
    expect(() => parseParams('smoke', ['--gateway-url=ws://127.0.0.1:1/ws'])).toThrow(/go together/);
    expect(() => parseParams('peers', ['--systems=kafka'])).toThrow(/unknown system/);
  });
});
