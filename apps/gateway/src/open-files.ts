/**
 * The process's open-files limit (Linux `/proc/self/limits`), from which the gateway's connection cap
 * is derived: at the limit uWS cannot accept, and spins on the listening socket (accept fails with
 * EMFILE, the connection stays queued, epoll reports it again), one core at 100 % for as long as it lasts.
 */
import { readFileSync } from 'node:fs';

/** The soft limit, or undefined where it cannot be read or is unlimited. */
export function openFilesLimit(limitsText = readLimits()): number | undefined {
  const line = limitsText?.split('\n').find((l) => l.startsWith('Max open files'));
  const soft = line?.slice('Max open files'.length).trim().split(/\s+/)[0];
  const n = Number(soft);
  return Number.isSafeInteger(n) && n > 0 ? n : undefined;
}

function readLimits(): string | undefined {
  try {
    return readFileSync('/proc/self/limits', 'utf8');
  } catch {
    return undefined;
  }
}
