/**
 * Kernel TCP counters (`/proc/net/netstat`, TcpExt): ListenOverflows counts connection attempts
 * dropped because a listening socket's accept queue was full, i.e. the server did not accept fast
 * enough; the client then retransmits its SYN after 1, 3, 7, 15 s… Machine-wide.
 */
import { readFileSync } from 'node:fs';

export function parseTcpExt(text: string): Record<string, number> {
  const lines = text.split('\n');
  for (let i = 0; i + 1 < lines.length; i++) {
    const head = lines[i]?.split(/\s+/) ?? [];
    const values = lines[i + 1]?.split(/\s+/) ?? [];
    if (head[0] === 'TcpExt:' && values[0] === 'TcpExt:') {
      return Object.fromEntries(head.slice(1).map((name, j) => [name, Number(values[j + 1])]));
    }
  }
  return {};
}

export function listenOverflows(): number | null {
  try {
    return parseTcpExt(readFileSync('/proc/net/netstat', 'utf8')).ListenOverflows ?? null;
  } catch {
    return null;
  }
}
