/** The connections open on this gateway: what its heartbeat lists, and who is surely online. */
export class LocalConnections {
  private readonly conns = new Map<string, string>();
  private readonly perUser = new Map<string, number>();

  add(connId: string, userId: string): void {
    if (this.conns.has(connId)) return;
    this.conns.set(connId, userId);
    this.perUser.set(userId, (this.perUser.get(userId) ?? 0) + 1);
  }

  remove(connId: string): void {
    const userId = this.conns.get(connId);
    if (userId === undefined) return;
    this.conns.delete(connId);
    const n = (this.perUser.get(userId) ?? 1) - 1;
    if (n > 0) this.perUser.set(userId, n);
    else this.perUser.delete(userId);
  }

  has(userId: string): boolean {
    return this.perUser.has(userId);
  }

  /** `[userId, connId]` pairs in chunks of at most `max` (one heartbeat message each) */
  chunks(max: number): Array<Array<[string, string]>> {
    const out: Array<Array<[string, string]>> = [];
    let chunk: Array<[string, string]> = [];
    for (const [connId, userId] of this.conns) {
      chunk.push([userId, connId]);
      if (chunk.length === max) {
        out.push(chunk);
        chunk = [];
      }
    }
    if (chunk.length > 0 || out.length === 0) out.push(chunk);
    return out;
  }
}
