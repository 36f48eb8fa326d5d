/** Decoding of the scripts' and the outbox stream's raw replies into typed values (pure). */
import {
  type PresenceChange,
  PresenceChange as PresenceChangeSchema,
  type VersionedPresence,
  validator,
} from '@coffeechat/contracts';

export type OpenOutcome = 'known' | 'added' | 'ignored' | 'online';
const openOutcomes: readonly OpenOutcome[] = ['known', 'added', 'ignored', 'online'];

export interface HeartbeatOutcome {
  stale: boolean;
  known: number;
  added: number;
  ignored: number;
  wentOnline: number;
  /** open connections the gateway no longer listed: their disconnect event was lost */
  removed: number;
}

export interface PresenceCounts {
  onlineUsers: number;
  connections: number;
  gateways: number;
}

export function decodeCounts(reply: unknown): PresenceCounts {
  const [onlineUsers = 0, connections = 0, gateways = 0] = list(reply).map(int);
  return { onlineUsers, connections, gateways };
}

export interface SweepOutcome {
  more: boolean;
  offline: number;
  lagsMs: number[];
}

const int = (value: unknown): number => {
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n)) throw new TypeError(`expected an integer reply, got ${String(value)}`);
  return n;
};

const list = (value: unknown): unknown[] => {
  if (!Array.isArray(value)) throw new TypeError('expected an array reply');
  return value;
};

export function decodeOpen(reply: unknown): OpenOutcome {
  const outcome = openOutcomes[int(reply)];
  if (!outcome) throw new TypeError(`unexpected connect reply ${String(reply)}`);
  return outcome;
}

export function decodeHeartbeat(reply: unknown): HeartbeatOutcome {
  const [stale, known, added, ignored, wentOnline, removed] = list(reply).map(int);
  return {
    stale: stale === 1,
    known: known ?? 0,
    added: added ?? 0,
    ignored: ignored ?? 0,
    wentOnline: wentOnline ?? 0,
    removed: removed ?? 0,
  };
}

export function decodeSweep(reply: unknown): SweepOutcome {
  const [more, offline, ...lagsMs] = list(reply).map(int);
  return { more: more === 1, offline: offline ?? 0, lagsMs };
}

/** `{now, online, lastSeen, version, …}` in the order of `userIds`; a user never seen is offline, version 0. */
export function decodeRead(userIds: readonly string[], reply: unknown): Map<string, VersionedPresence> {
  const values = list(reply);
  const now = int(values[0]);
  const out = new Map<string, VersionedPresence>();
  userIds.forEach((userId, i) => {
    const online = int(values[1 + 3 * i]) === 1;
    const lastSeen = values[2 + 3 * i] == null ? null : int(values[2 + 3 * i]);
    const version = values[3 + 3 * i] == null ? 0 : int(values[3 + 3 * i]);
    out.set(userId, { status: online ? 'online' : 'offline', lastSeen: online ? now : lastSeen, version });
  });
  return out;
}

export interface OutboxEntry {
  id: string;
  /** undefined when the entry is not a valid change (it is then dropped with a log line) */
  change: PresenceChange | undefined;
}

const checkChange = validator(PresenceChangeSchema);

/** Entries of XREADGROUP / XAUTOCLAIM: `[id, [field, value, …]]` each. */
export function decodeOutboxEntries(entries: unknown): OutboxEntry[] {
  return list(entries).flatMap((entry): OutboxEntry[] => {
    if (!Array.isArray(entry) || typeof entry[0] !== 'string') return [];
    const fields = Array.isArray(entry[1]) ? (entry[1] as unknown[]) : [];
    const record: Record<string, unknown> = {};
    for (let i = 0; i + 1 < fields.length; i += 2) record[String(fields[i])] = fields[i + 1];
    const candidate = { userId: record.u, status: record.s, ts: Number(record.ts), version: Number(record.v) };
    return [{ id: entry[0], change: checkChange.check(candidate) ? candidate : undefined }];
  });
}
