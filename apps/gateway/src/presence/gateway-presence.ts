/**
 * The gateway side of presence (SPEC §4–§5): tells the presence service about this gateway's
 * connections (each connect/disconnect at once, one batched heartbeat per interval), watches the
 * co-members of the rooms its sockets joined, pushes `presence` frames to the sockets sharing a room
 * with a user whose status changed, and answers `joined.presence`.
 */
import {
  HEARTBEAT_MAX_CONNECTIONS,
  heartbeatIntervalMs,
  Limits,
  type MembershipEvent,
  type PresenceChange,
  type PresenceFrame,
  type PresenceInput,
  type PresenceStatus,
  type VersionedPresence,
} from '@coffeechat/contracts';
import type { Logger } from '@coffeechat/service-kit';
import type { GatewayMetrics } from '../metrics.js';
import type { PresenceView } from '../presence-view.js';
import type { Session } from '../session.js';
import { LocalConnections } from './local-connections.js';
import { PresenceCache } from './presence-cache.js';
import { PresenceWatch, type WatchDelta } from './presence-watch.js';

export interface PresenceLinkEvents {
  change(change: PresenceChange): void;
  /** the broker connection came back and the bindings are restored; changes published meanwhile are lost */
  restored(): void;
}

/** What gateway presence needs from the broker (implemented in `amqp-presence-link.ts`). */
export interface PresenceLink {
  start(events: PresenceLinkEvents): void;
  isUp(): boolean;
  /** resolves once the broker confirmed the message */
  publish(input: PresenceInput): Promise<void>;
  /** resolves once the user's changes reach this gateway */
  bindUser(userId: string): Promise<void>;
  unbindUser(userId: string): Promise<void>;
  /** the current presence of up to `Limits.presenceQueryMax` users */
  query(userIds: string[]): Promise<Map<string, VersionedPresence>>;
  close(): Promise<void>;
}

export interface GatewayPresenceOptions {
  link: PresenceLink;
  gatewayId: string;
  ttlSec: number;
  metrics: GatewayMetrics;
  logger: Logger;
}

/** Longest wait for in-flight connection events at shutdown. */
const FLUSH_MS = 2000;

export class GatewayPresence implements PresenceView {
  private readonly local = new LocalConnections();
  private readonly watches = new PresenceWatch();
  private readonly cache = new PresenceCache();
  /** per watched user: its binding (resolves once their changes reach this gateway) */
  private readonly bindings = new Map<string, Promise<void>>();
  private readonly inFlight = new Set<Promise<void>>();
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: GatewayPresenceOptions) {}

  start(): void {
    this.options.link.start({ change: (change) => this.changed(change), restored: () => void this.resync() });
    this.timer = setInterval(() => this.beat(), heartbeatIntervalMs(this.options.ttlSec));
  }

  // ---- PresenceView ----

  statusOf(userIds: readonly string[]): Record<string, PresenceStatus> {
    // A user with a socket open here is online whatever the presence service has seen yet.
    return Object.fromEntries(userIds.map((id) => [id, this.local.has(id) ? 'online' : this.cache.statusOf(id)]));
  }

  opened(session: Session): void {
    this.local.add(session.connId, session.userId);
    this.send({
      kind: 'connected',
      gatewayId: this.options.gatewayId,
      connId: session.connId,
      userId: session.userId,
      at: Date.now(),
    });
  }

  closed(session: Session): void {
    this.local.remove(session.connId);
    this.apply(this.watches.unwatchAll(session));
    this.send({
      kind: 'disconnected',
      gatewayId: this.options.gatewayId,
      connId: session.connId,
      userId: session.userId,
      at: Date.now(),
    });
  }

  async watch(session: Session, roomId: string, members: readonly string[]): Promise<void> {
    const delta = this.watches.watch(session, roomId, members);
    this.apply(delta);
    const others = members.filter((m) => m !== session.userId);
    try {
      // Bound first, then asked: a change after the answer is delivered, one before it is in it.
      await Promise.all(others.map((u) => this.bindings.get(u)));
      await this.load(others);
    } catch (err) {
      // The join goes on: members read from what is known (offline when nothing is).
      this.options.logger.warn(
        { err: (err as Error).message, roomId },
        'presence of the members unavailable for joined',
      );
    }
  }

  unwatch(session: Session, roomId: string): void {
    this.apply(this.watches.unwatch(session, roomId));
  }

  // ---- the rest of the gateway ----

  membership(event: MembershipEvent): void {
    if (event.kind === 'added') {
      const delta = this.watches.memberAdded(event.roomId, event.userId);
      this.apply(delta);
      if (delta.added.length > 0) {
        const bound = this.bindings.get(event.userId);
        void bound?.then(() => this.load([event.userId])).catch(() => undefined);
      }
    } else {
      this.apply(this.watches.memberRemoved(event.roomId, event.userId));
    }
  }

  /** Stops beating and waits (briefly) for the connection events in flight, e.g. of the sockets just closed. */
  async close(): Promise<void> {
    clearInterval(this.timer);
    await Promise.race([Promise.allSettled([...this.inFlight]), new Promise((r) => setTimeout(r, FLUSH_MS))]);
    await this.options.link.close();
  }

  // ---- internals ----

  private changed(change: PresenceChange): void {
    if (!this.watches.isWatched(change.userId) || !this.cache.apply(change)) return;
    this.push(change);
  }

  private push(change: Pick<PresenceChange, 'userId' | 'status' | 'ts'>): void {
    const frame = JSON.stringify({
      type: 'presence',
      userId: change.userId,
      status: change.status,
      ts: change.ts,
    } satisfies PresenceFrame);
    let sent = 0;
    for (const session of this.watches.audienceOf(change.userId)) {
      if (!session.closed && session.socket.send(frame)) sent += 1;
    }
    this.options.metrics.framesOut.inc({ type: 'presence' }, sent);
  }

  /** Binds newly watched users, unbinds those no longer watched, forgets their state. */
  private apply({ added, removed }: WatchDelta): void {
    for (const userId of removed) {
      this.bindings.delete(userId);
      this.cache.forget(userId);
      this.options.link.unbindUser(userId).catch(() => undefined);
    }
    for (const userId of added) {
      const bound = this.options.link.bindUser(userId);
      this.bindings.set(userId, bound);
      // A failed bind fails the join that waited for it; the reconnect set-up binds every watched user.
      bound.catch(() => {
        if (this.bindings.get(userId) === bound) this.bindings.set(userId, Promise.resolve());
      });
    }
  }

  /** Asks presence for the users' current state and keeps what is newer than what is known. */
  private async load(userIds: readonly string[]): Promise<Map<string, PresenceChange>> {
    const newer = new Map<string, PresenceChange>();
    for (let i = 0; i < userIds.length; i += Limits.presenceQueryMax) {
      const users = await this.options.link.query(userIds.slice(i, i + Limits.presenceQueryMax));
      for (const [userId, state] of users) {
        if (this.watches.isWatched(userId) && this.cache.merge(userId, state)) {
          newer.set(userId, { userId, status: state.status, version: state.version, ts: Date.now() });
        }
      }
    }
    return newer;
  }

  /** After a broker reconnect: changes published meanwhile were lost; ask again and push what moved. */
  private async resync(): Promise<void> {
    const before = new Map(this.watches.watchedUsers().map((u) => [u, this.cache.statusOf(u)]));
    try {
      const newer = await this.load([...before.keys()]);
      for (const change of newer.values()) if (before.get(change.userId) !== change.status) this.push(change);
    } catch (err) {
      this.options.logger.warn({ err: (err as Error).message }, 'presence resync after reconnect failed');
    }
  }

  private beat(): void {
    if (!this.options.link.isUp()) return; // a beat queued during an outage would be stale; the next one counts
    const at = Date.now();
    const parts = this.local.chunks(HEARTBEAT_MAX_CONNECTIONS);
    for (const conns of parts) {
      this.send({
        kind: 'heartbeat',
        gatewayId: this.options.gatewayId,
        at,
        conns,
        ...(parts.length > 1 ? { partial: true } : {}),
      });
    }
  }

  /** Publishes without blocking the caller; a failure is repaired by the next heartbeat. */
  private send(input: PresenceInput): void {
    const tracked = this.options.link
      .publish(input)
      .catch((err: unknown) =>
        this.options.logger.debug({ err: (err as Error).message, kind: input.kind }, 'presence event not published'),
      );
    this.inFlight.add(tracked);
    void tracked.finally(() => this.inFlight.delete(tracked));
  }
}
