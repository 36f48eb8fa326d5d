import { describe, expect, it } from 'vitest';
import { openFilesLimit } from './open-files.js';

const limits = (line: string) =>
  `Limit                     Soft Limit           Hard Limit           Units     \nMax cpu time              unlimited            unlimited            seconds   \n${line}\n`;

describe('openFilesLimit', () => {
  it('reads the soft open-files limit of /proc/self/limits', () => {
    expect(
      openFilesLimit(limits('Max open files            20000                65536                files     ')),
    ).toBe(20_000);
    expect(openFilesLimit()).toBeGreaterThan(0); // this machine's own
  });

  it('is undefined when unlimited or unreadable', () => {
    expect(
      openFilesLimit(limits('Max open files            unlimited            unlimited            files     ')),
    ).toBeUndefined();
    expect(openFilesLimit('')).toBeUndefined();
  });
});
