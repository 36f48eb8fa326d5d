/**
 * How many WebSockets are open per user and per client address on this gateway (SPEC §2: the 11th of a
 * user is refused with HTTP 429 before the upgrade). A count, not a rate: a place is taken just before
 * the upgrade and given back when the socket closes. Each gateway counts its own sockets (see
 * docs/security.md, "Open WebSockets per user"): the check is synchronous on the upgrade path, needs no
 * shared store, and leaves nothing stale when a gateway dies.
 */
export interface QuotaSettings {
  perUser: number;
  /** 0: no bound per address */
  perIp: number;
}

export type QuotaVerdict = { ok: true } | { ok: false; message: string };

export class ConnectionQuota {
  private readonly byUser = new Map<string, number>();
  private readonly byIp = new Map<string, number>();

  constructor(private readonly settings: QuotaSettings) {}

  /** Takes a place for a new socket of `userId` from `ip`, or says why there is none. */
  acquire(userId: string, ip: string): QuotaVerdict {
    const { perUser, perIp } = this.settings;
    if ((this.byUser.get(userId) ?? 0) >= perUser)
      return { ok: false, message: `at most ${perUser} open connections per user` };
    if (perIp > 0 && (this.byIp.get(ip) ?? 0) >= perIp)
      return { ok: false, message: `at most ${perIp} open connections per address` };
    add(this.byUser, userId, 1);
    if (perIp > 0) add(this.byIp, ip, 1);
    return { ok: true };
  }

  release(userId: string, ip: string): void {
    add(this.byUser, userId, -1);
    if (this.settings.perIp > 0) add(this.byIp, ip, -1);
  }

  /** open sockets of one user (for tests and metrics) */
  openFor(userId: string): number {
    return this.byUser.get(userId) ?? 0;
  }
}

function add(counts: Map<string, number>, key: string, delta: number): void {
  const next = (counts.get(key) ?? 0) + delta;
  if (next > 0) counts.set(key, next);
  else counts.delete(key);
}
