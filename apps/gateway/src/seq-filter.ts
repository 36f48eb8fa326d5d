/**
 * Drops a room frame whose seq is not above the last one forwarded for that room: after a router
 * fail-over the new owner publishes again what the old one may already have delivered.
 */
export class SeqFilter {
  private readonly last = new Map<string, number>();

  /** true when the frame is new and should be forwarded (it then becomes the room's last seq) */
  accept(roomId: string, seq: number): boolean {
    const last = this.last.get(roomId);
    if (last !== undefined && seq <= last) return false;
    this.last.set(roomId, seq);
    return true;
  }

  lastOf(roomId: string): number | undefined {
    return this.last.get(roomId);
  }

  forget(roomId: string): void {
    this.last.delete(roomId);
  }
}
