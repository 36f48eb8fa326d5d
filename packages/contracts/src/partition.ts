/**
 * The partition of a room: a stable hash of `roomId` onto `0..partitions-1`. Every gateway and
 * router must agree on it forever for a given partition count, so it is FNV-1a over the UTF-8
 * bytes (no dependency on a runtime's string hashing), reduced modulo the partition count.
 */
const encoder = new TextEncoder();

export function fnv1a32(text: string): number {
  let hash = 0x811c9dc5;
  for (const byte of encoder.encode(text)) {
    hash ^= byte;
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}

export function partitionOf(roomId: string, partitions: number): number {
  if (!Number.isInteger(partitions) || partitions < 1)
    throw new RangeError(`partitions must be ≥ 1, got ${partitions}`);
  return fnv1a32(roomId) % partitions;
}
