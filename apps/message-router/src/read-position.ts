/**
 * A user's read position in a room: the higher of the marker their `read` frames stored and the seq of
 * their own newest message there (a sender has read what they sent). That second part is derived from
 * `messages` when asked, never written on the send path, and so never lost.
 */
export interface ReadPositionSources {
  /** stored markers of `read` frames; rooms without one are absent */
  markers(userId: string, roomIds: readonly string[]): Promise<Map<string, number>>;
  /** the seq of the user's newest message per room (0 where none) */
  lastSentSeqs(userId: string, roomIds: readonly string[]): Promise<Map<string, number>>;
}

export async function readPositions(
  sources: ReadPositionSources,
  userId: string,
  roomIds: readonly string[],
): Promise<Map<string, number>> {
  const [markers, sent] = await Promise.all([sources.markers(userId, roomIds), sources.lastSentSeqs(userId, roomIds)]);
  return new Map(roomIds.map((roomId) => [roomId, Math.max(markers.get(roomId) ?? 0, sent.get(roomId) ?? 0)]));
}
