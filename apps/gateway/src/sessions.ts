/** The connections open on this gateway, by connection id (the broker's frames for one connection name it). */
import type { GatewayMetrics } from './metrics.js';
import type { Session } from './session.js';

export class SessionRegistry {
  private readonly byConnId = new Map<string, Session>();

  constructor(private readonly metrics: GatewayMetrics) {}

  get size(): number {
    return this.byConnId.size;
  }

  add(session: Session): void {
    this.byConnId.set(session.connId, session);
    this.metrics.connections.set(this.byConnId.size);
  }

  /** false when the session was gone already (a connection closes once) */
  remove(session: Session): boolean {
    if (!this.byConnId.delete(session.connId)) return false;
    this.metrics.connections.set(this.byConnId.size);
    return true;
  }

  /** The open connection with this id. */
  get(connId: string): Session | undefined {
    return this.byConnId.get(connId);
  }

  all(): Session[] {
    return [...this.byConnId.values()];
  }
}
