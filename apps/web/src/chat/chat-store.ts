/**
 * The chat side of the page: one `CoffeeChatClient` connection, the user's rooms with unread counts
 * (every listed room is joined, so counts move live), and a `RoomState` per room. Network changes
 * the browser reports drive the connection (offline: drop it; online: reconnect now).
 */
import {
  ApiError,
  ChatApi,
  ChatError,
  CoffeeChatClient,
  type ConnectionState,
  TypingTracker,
} from '@coffeechat/client';
import type { JoinedFrame, MyRoom } from '@coffeechat/contracts';
import { signal } from '@preact/signals';
import type { AppConfig } from '../config.js';
import type { Session } from '../session.js';
import { RoomState } from './room-state.js';

export type RoomSummary = Omit<MyRoom, 'unread'>;

/** the gateway allows 100 joined rooms per connection */
const MAX_JOINED = 100;
const ROOMS_REFRESH_MS = 30_000;

export const describeError = (err: unknown): string =>
  err instanceof ApiError || err instanceof ChatError ? `${err.message} (${err.code})` : String(err);

export class ChatStore {
  readonly state = signal<ConnectionState>('idle');
  readonly online = signal(navigator.onLine);
  readonly rooms = signal<RoomSummary[]>([]);
  readonly roomsLoaded = signal(false);
  readonly roomsError = signal<string | null>(null);
  readonly client: CoffeeChatClient;
  readonly api: ChatApi;
  private readonly typing: TypingTracker;
  private readonly roomStates = new Map<string, RoomState>();
  private readonly joins = new Map<string, Promise<JoinedFrame>>();
  private openRoom: string | null = null;
  private everOpen = false;
  private readonly cleanups: Array<() => void> = [];

  constructor(
    config: AppConfig,
    readonly session: Session,
  ) {
    this.client = new CoffeeChatClient({ url: config.gatewayUrl, token: session.token });
    this.api = new ChatApi({ baseUrl: config.routerUrl, token: session.token });
    this.typing = new TypingTracker(this.client);
    const c = this.client;
    this.cleanups.push(
      c.on('state', (s) => this.onState(s)),
      c.on('joined', (f) => this.onJoined(f)),
      c.on('message', (f) => this.onMessage(f)),
      c.on('read', (f) => {
        if (f.userId === session.userId) this.updateSummary(f.roomId, (r) => ({ readSeq: Math.max(r.readSeq, f.seq) }));
        else this.room(f.roomId).readBy(f.userId, f.seq);
      }),
      c.on('presence', (f) => {
        for (const room of this.roomStates.values())
          if (room.members.value.includes(f.userId))
            room.presence.value = { ...room.presence.value, [f.userId]: f.status };
      }),
      c.on('removed', ({ roomId }) => {
        this.rooms.value = this.rooms.value.filter((r) => r.roomId !== roomId);
        this.joins.delete(roomId);
      }),
      this.typing.on('change', ({ roomId, userIds }) => {
        this.room(roomId).typers.value = userIds.filter((u) => u !== session.userId);
      }),
    );
    this.listen(window, 'offline', () => {
      this.online.value = false;
      this.client.dropConnection('the browser went offline');
    });
    this.listen(window, 'online', () => {
      this.online.value = true;
      this.client.reconnectNow();
    });
    this.listen(document, 'visibilitychange', () => {
      if (this.openRoom) this.markRead(this.openRoom);
    });
    const refresh = setInterval(() => void this.loadRooms(), ROOMS_REFRESH_MS);
    this.cleanups.push(() => clearInterval(refresh));
  }

  start(): void {
    this.client.connect().catch(() => undefined); // failures show as the connection state
    void this.loadRooms();
  }

  stop(): void {
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    this.typing.dispose();
    this.client.close();
  }

  room(roomId: string): RoomState {
    let room = this.roomStates.get(roomId);
    if (!room) {
      room = new RoomState(roomId, this.api);
      this.roomStates.set(roomId, room);
    }
    return room;
  }

  summary(roomId: string): RoomSummary | undefined {
    return this.rooms.value.find((r) => r.roomId === roomId);
  }

  async loadRooms(): Promise<void> {
    try {
      const page = await this.api.myRooms({ limit: MAX_JOINED });
      const known = new Map(this.rooms.value.map((r) => [r.roomId, r]));
      this.rooms.value = page.rooms.map(({ unread: _unread, ...fresh }) => {
        const live = known.get(fresh.roomId);
        // live counters may be ahead of the HTTP answer
        return live
          ? { ...fresh, lastSeq: Math.max(live.lastSeq, fresh.lastSeq), readSeq: Math.max(live.readSeq, fresh.readSeq) }
          : fresh;
      });
      this.roomsError.value = null;
      for (const r of this.rooms.value) this.join(r.roomId).catch(() => undefined);
    } catch (err) {
      this.roomsError.value = `Could not load your rooms: ${describeError(err)}`;
    } finally {
      this.roomsLoaded.value = true;
    }
  }

  /** Joins once per page; the client keeps it joined across reconnects. */
  join(roomId: string): Promise<JoinedFrame> {
    let joined = this.joins.get(roomId);
    if (!joined) {
      joined = this.client.join(roomId);
      this.joins.set(roomId, joined);
      joined.catch(() => this.joins.delete(roomId));
    }
    return joined;
  }

  /** The room is on screen: join, show the newest history, mark read. Rejects when not a member. */
  async open(roomId: string): Promise<RoomState> {
    this.openRoom = roomId;
    const room = this.room(roomId);
    await this.join(roomId);
    // After `joined`: the newest page then reaches at least the seq live delivery starts after.
    if (room.messages.value.length < 20 && room.hasOlder.value) await room.loadOlder();
    this.markRead(roomId);
    return room;
  }

  close(roomId: string): void {
    if (this.openRoom === roomId) this.openRoom = null;
  }

  send(roomId: string, body: string, clientMsgId: string = crypto.randomUUID()): void {
    const room = this.room(roomId);
    if (!room.outgoing.value.some((o) => o.clientMsgId === clientMsgId))
      room.outgoing.value = [...room.outgoing.value, { clientMsgId, body, status: 'pending' }];
    else room.setOutgoing(clientMsgId, { status: 'pending' });
    this.client.send(roomId, body, { clientMsgId }).then(
      () => room.setOutgoing(clientMsgId, { status: 'acked' }),
      (err: unknown) => room.setOutgoing(clientMsgId, { status: 'failed', error: describeError(err) }),
    );
  }

  typingIn(roomId: string): void {
    this.client.typing(roomId);
  }

  /** Moves the read marker to the newest message while the room is open and the page visible. */
  markRead(roomId: string): void {
    if (this.openRoom !== roomId || document.visibilityState !== 'visible') return;
    const summary = this.summary(roomId);
    const lastSeq = Math.max(summary?.lastSeq ?? 0, this.room(roomId).messages.value.at(-1)?.seq ?? 0);
    if (lastSeq === 0 || (summary && summary.readSeq >= lastSeq)) return;
    this.client.read(roomId, lastSeq);
    this.updateSummary(roomId, (r) => ({ readSeq: Math.max(r.readSeq, lastSeq) }));
  }

  private onState(state: ConnectionState): void {
    this.state.value = state;
    if (state !== 'open') return;
    // Rooms created while the page was away appear on reconnect (there is no "added to a room" frame).
    if (this.everOpen) void this.loadRooms();
    this.everOpen = true;
  }

  private onJoined(f: JoinedFrame): void {
    const room = this.room(f.roomId);
    room.members.value = f.members;
    room.presence.value = { ...f.presence };
    this.updateSummary(f.roomId, (r) => ({
      lastSeq: Math.max(r.lastSeq, f.lastSeq),
      readSeq: Math.max(r.readSeq, f.readSeq),
      memberIds: f.members,
    }));
    if (f.truncated) {
      room.reset();
      if (this.openRoom === f.roomId) void room.loadOlder();
    }
  }

  private onMessage(f: Parameters<RoomState['addLive']>[0]): void {
    this.room(f.roomId).addLive(f);
    const mine = f.senderId === this.session.userId;
    this.updateSummary(f.roomId, (r) => ({
      lastSeq: Math.max(r.lastSeq, f.seq),
      readSeq: mine ? Math.max(r.readSeq, f.seq) : r.readSeq,
    }));
    this.markRead(f.roomId);
  }

  private updateSummary(roomId: string, change: (r: RoomSummary) => Partial<RoomSummary>): void {
    this.rooms.value = this.rooms.value.map((r) => (r.roomId === roomId ? { ...r, ...change(r) } : r));
  }

  private listen(target: EventTarget, type: string, handler: () => void): void {
    target.addEventListener(type, handler);
    this.cleanups.push(() => target.removeEventListener(type, handler));
  }
}
