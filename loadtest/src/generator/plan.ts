/**
 * Who is in which room, on which gateway, driven by which generator worker. Pure, so the layout of
 * a run is reproducible from its parameters and a run tag.
 */

export interface PlannedMember {
  userId: string;
  /** index into the list of gateway (or peer node) URLs */
  gateway: number;
}

export interface PlannedRoom {
  index: number;
  roomId: string;
  members: PlannedMember[];
}

/** Room and user ids unique to one run, inside the SPEC alphabets (`[A-Za-z0-9_-]`, ≤ 64). */
export function planRooms(runTag: string, rooms: number, members: number, gateways: number): PlannedRoom[] {
  const out: PlannedRoom[] = [];
  for (let i = 0; i < rooms; i++) {
    const room: PlannedRoom = { index: i, roomId: `lt${runTag}r${i}`, members: [] };
    // Consecutive members of a room land on different gateways, so every room with more than one
    // member crosses gateways whenever there are several: the fan-out path the broker serves.
    for (let j = 0; j < members; j++)
      room.members.push({ userId: `lt${runTag}u${i}m${j}`, gateway: (i * members + j) % Math.max(1, gateways) });
    out.push(room);
  }
  return out;
}

/** Idle users for the connections scenario, spread over the gateways. */
export function planIdleUsers(runTag: string, count: number, gateways: number): PlannedMember[] {
  const out: PlannedMember[] = [];
  for (let i = 0; i < count; i++) out.push({ userId: `lt${runTag}i${i}`, gateway: i % Math.max(1, gateways) });
  return out;
}

/** The items worker `worker` of `workers` drives: every `workers`-th one, so shares differ by ≤ 1. */
export function shareOf<T>(items: readonly T[], worker: number, workers: number): T[] {
  return items.filter((_, i) => i % workers === worker);
}

/**
 * How many sends are due now in a phase paced at `ratePerSec` that started `elapsedMs` ago and has
 * sent `sent` so far. Open loop: the pace never waits for acks, so a slow server shows up as
 * latency, not as a politely lower rate (no coordinated omission).
 */
export function dueSends(ratePerSec: number, elapsedMs: number, sent: number): number {
  return Math.max(0, Math.floor((ratePerSec * elapsedMs) / 1000) - sent);
}
