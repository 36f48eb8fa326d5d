/**
 * Who may send to a room, cached per partition so the hot path does not read `rooms` for every batch.
 * Membership events drop entries at once; the TTL bounds staleness if an event was missed (e.g. while
 * the router's event queue was being re-declared after a broker reconnect).
 */
import { partitionOf } from '@coffeechat/contracts';

export interface RoomInfo {
  roomId: string;
  postId: string | null;
  memberIds: readonly string[];
}

export type RoomLoader = (roomIds: readonly string[]) => Promise<Map<string, RoomInfo>>;

interface Entry {
  room: RoomInfo | null;
  expires: number;
}

export class MembershipCache {
  private readonly entries = new Map<string, Entry>();
  /** bumped by every invalidation, so a load that raced one is used but not kept */
  private version = 0;

  constructor(
    private readonly load: RoomLoader,
    private readonly options: { ttlMs?: number; maxEntries?: number; now?: () => number } = {},
  ) {}

  /** Each room's info, `null` for a room that does not exist. */
  async rooms(roomIds: readonly string[]): Promise<Map<string, RoomInfo | null>> {
    const now = this.now();
    const out = new Map<string, RoomInfo | null>();
    const missing: string[] = [];
    for (const roomId of new Set(roomIds)) {
      const entry = this.entries.get(roomId);
      if (entry && entry.expires > now) out.set(roomId, entry.room);
      else missing.push(roomId);
    }
    if (missing.length === 0) return out;
    const version = this.version;
    const loaded = await this.load(missing);
    const keep = version === this.version;
    for (const roomId of missing) {
      const room = loaded.get(roomId) ?? null;
      out.set(roomId, room);
      if (keep) this.remember(roomId, room, now);
    }
    return out;
  }

  invalidate(roomId: string): void {
    this.version++;
    this.entries.delete(roomId);
  }

  get size(): number {
    return this.entries.size;
  }

  private remember(roomId: string, room: RoomInfo | null, now: number): void {
    const max = this.options.maxEntries ?? 10_000;
    if (this.entries.size >= max) {
      // Maps iterate in insertion order: the first key is the oldest entry.
      const oldest = this.entries.keys().next().value;
      if (oldest !== undefined) this.entries.delete(oldest);
    }
    this.entries.delete(roomId);
    this.entries.set(roomId, { room, expires: now + (this.options.ttlMs ?? 30_000) });
  }

  private now(): number {
    return (this.options.now ?? Date.now)();
  }
}

/** A cache per partition (each partition's owner reads its own), and a room's entry dropped in its partition's. */
export class PartitionMemberships {
  private readonly caches: MembershipCache[];

  constructor(
    private readonly partitions: number,
    load: RoomLoader,
  ) {
    this.caches = Array.from({ length: partitions }, () => new MembershipCache(load));
  }

  of(partition: number): MembershipCache {
    const cache = this.caches[partition];
    if (!cache) throw new Error(`no partition ${partition}`);
    return cache;
  }

  invalidate(roomId: string): void {
    this.caches[partitionOf(roomId, this.partitions)]?.invalidate(roomId);
  }
}
