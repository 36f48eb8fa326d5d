/**
 * Explicit read markers (`read` frames), as one partition batch raises them: clamped to the room's last
 * seq (a marker never claims unsent messages), and several marks of one user in one room become one
 * update to their highest (concurrent `$max` updates could not tell which of them moved the marker).
 */
export interface ReadMark {
  roomId: string;
  userId: string;
  seq: number;
}

/** Where markers are kept (implemented in mongo/read-repository.ts). */
export interface ReadMarkers {
  /** tells for each mark whether it moved the stored marker */
  raise(marks: readonly ReadMark[]): Promise<boolean[]>;
}

/**
 * Raises the marks of `requests` and returns the mark to announce for each request: the one carrying a
 * (user, room)'s highest mark when it moved the stored marker; none for the others.
 */
export async function raiseReadMarks<R extends ReadMark>(
  markers: ReadMarkers,
  requests: readonly R[],
  lastSeqOf: (roomId: string) => number,
): Promise<Map<R, ReadMark>> {
  const highest = new Map<string, { request: R; mark: ReadMark }>();
  for (const request of requests) {
    const mark = {
      roomId: request.roomId,
      userId: request.userId,
      seq: Math.min(request.seq, lastSeqOf(request.roomId)),
    };
    const key = JSON.stringify([mark.roomId, mark.userId]);
    const best = highest.get(key);
    if (!best || mark.seq > best.mark.seq) highest.set(key, { request, mark });
  }
  const chosen = [...highest.values()];
  if (chosen.length === 0) return new Map();
  const moved = await markers.raise(chosen.map((c) => c.mark));
  return new Map(chosen.filter((_, i) => moved[i]).map((c) => [c.request, c.mark]));
}
