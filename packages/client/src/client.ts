/**
 * CoffeeChat's WebSocket client for browsers and Node. It keeps one connection to a gateway open
 * (reconnecting with backoff), re-joins every room after a reconnect resuming after the last seq it
 * delivered, delivers each room's messages once and in seq order, retries unacknowledged sends
 * with the same `clientMsgId` until the server acknowledges them (one room's sends one at a time, so
 * they are stored in the order they were made, retries included), and keeps the connection's token
 * fresh: ahead of its `exp` it asks the token provider for a new one and sends it in a `refresh` frame
 * (SPEC §3), so a long session outlives any one token without reconnecting.
 */
import type {
  AckFrame,
  ErrorFrame,
  HelloFrame,
  JoinedFrame,
  MessageFrame,
  PresenceFrame,
  ReadEventFrame,
  RefreshedFrame,
  ServerFrame,
  TypingEventFrame,
} from '@coffeechat/contracts';
import { type BackoffSettings, backoffDelay, defaultBackoff, defaultRetryBackoff } from './backoff.js';
import { ChatError } from './chat-error.js';
import { Emitter } from './emitter.js';
import { RoomTracker } from './room-tracker.js';
import { resolveToken, type TokenSource, tokenExpiry } from './token.js';
import { OPEN, type WebSocketConstructor, type WebSocketLike } from './websocket.js';

export type ConnectionState = 'idle' | 'connecting' | 'open' | 'reconnecting' | 'closed';

export interface ClientOptions {
  /** the gateway's WebSocket URL, e.g. `ws://localhost:8080/ws` */
  url: string;
  /** a JWT, or a function giving a fresh one for each (re)connect (see `cachedToken`) */
  token: TokenSource;
  /** the WebSocket class; defaults to `globalThis.WebSocket` (in Node pass the `ws` package's) */
  WebSocket?: WebSocketConstructor;
  /** delays between reconnects; default 250 ms doubling up to 4 s, with jitter */
  backoff?: Partial<BackoffSettings>;
  /** delays before a join or send answered UNAVAILABLE / RATE_LIMITED is tried again; default 250 ms doubling up to 2 s */
  retryBackoff?: Partial<BackoffSettings>;
  /** an unacknowledged send is sent again (same clientMsgId) after this long; default 10 s */
  ackTimeoutMs?: number;
  /** a send still unacknowledged after this long fails with TIMEOUT; default 120 s */
  sendDeadlineMs?: number;
  /** `typing()` sends at most one frame per room per this interval; default 2 s */
  typingIntervalMs?: number;
  /**
   * the connection's token is refreshed this long before its `exp` (at most a quarter of what is left of
   * it when the connection opened); default 60 s. Only with a token provider: a fixed string cannot be.
   */
  refreshBeforeSec?: number;
}

export interface ClientEvents {
  state: ConnectionState;
  hello: HelloFrame;
  joined: JoinedFrame;
  message: MessageFrame;
  typing: TypingEventFrame;
  read: ReadEventFrame;
  presence: PresenceFrame;
  removed: { roomId: string };
  /** server errors that belong to no pending call (and connection failures, code UNAVAILABLE) */
  error: ChatError;
  /** a connection closed; the client reconnects unless `close()` was called */
  disconnected: { code: number; reason: string };
}

export interface SendOptions {
  /** defaults to a random id; give your own to make a send idempotent across restarts */
  clientMsgId?: string;
}

interface Waiter<T> {
  resolve: (value: T) => void;
  reject: (err: ChatError) => void;
}

interface RoomEntry {
  tracker: RoomTracker;
  /** connection generation on which `joined` was received; sends flow only on that connection */
  joinedGen: number;
  /** a join frame for this room is outstanding on the current connection */
  joining: boolean;
  waiters: Waiter<JoinedFrame>[];
  /** highest read marker not yet sent */
  pendingRead?: number;
  retryTimer?: ReturnType<typeof setTimeout>;
  attempts: number;
}

interface PendingSend {
  /** callers of `send` with this clientMsgId */
  waiters: Waiter<AckFrame>[];
  roomId: string;
  clientMsgId: string;
  body: string;
  /** connection generation it was last written on; -1 = waiting to be written */
  sentGen: number;
  attempts: number;
  timer?: ReturnType<typeof setTimeout>;
  deadline: ReturnType<typeof setTimeout>;
}

const sendKey = (roomId: string, clientMsgId: string) => `${roomId}\u0000${clientMsgId}`;

/**
 * Answers after which a join or send is tried again: a backend away, a limit, or the connection's token
 * expired (it is being refreshed, or the connection closes with 4001 and the next one has a new token).
 */
const retryable = (error: ChatError) =>
  error.code === 'UNAVAILABLE' || error.code === 'RATE_LIMITED' || error.code === 'TOKEN_EXPIRED';

function randomId(): string {
  const c = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (c?.randomUUID) return c.randomUUID();
  return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 12)}`;
}

export class CoffeeChatClient extends Emitter<ClientEvents> {
  private readonly WebSocketClass: WebSocketConstructor;
  private readonly backoff: BackoffSettings;
  private readonly retryBackoff: BackoffSettings;
  private readonly ackTimeoutMs: number;
  private readonly sendDeadlineMs: number;
  private readonly typingIntervalMs: number;
  /** when a typing frame was last sent, per room */
  private readonly typingSentAt = new Map<string, number>();
  private ws: WebSocketLike | undefined;
  private gen = 0;
  private connectAttempts = 0;
  private stateValue: ConnectionState = 'idle';
  private stopped = false;
  private hello: HelloFrame | undefined;
  private helloWaiters: Waiter<HelloFrame>[] = [];
  private reconnectTimer: ReturnType<typeof setTimeout> | undefined;
  private heartbeat: ReturnType<typeof setInterval> | undefined;
  private lastFrameAt = 0;
  private nextRequestId = 0;
  private readonly rooms = new Map<string, RoomEntry>();
  private readonly outbox = new Map<string, PendingSend>();
  /** outstanding leave requests by frame id */
  private readonly leaves = new Map<string, Waiter<void>>();
  /** join frame ids → room, to route error replies */
  private readonly joinIds = new Map<string, string>();
  /** the token the current connection lives on, and its `exp` (seconds) */
  private token: { value: string; exp: number | undefined } | undefined;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  /** the id of the outstanding `refresh` frame */
  private refreshId: string | undefined;
  private refreshAttempts = 0;

  constructor(private readonly options: ClientOptions) {
    super();
    const ctor = options.WebSocket ?? (globalThis as { WebSocket?: WebSocketConstructor }).WebSocket;
    if (!ctor) throw new Error('no WebSocket implementation: pass one as options.WebSocket (e.g. the ws package)');
    this.WebSocketClass = ctor;
    this.backoff = { ...defaultBackoff, ...options.backoff };
    this.retryBackoff = { ...defaultRetryBackoff, ...options.retryBackoff };
    this.ackTimeoutMs = options.ackTimeoutMs ?? 10_000;
    this.sendDeadlineMs = options.sendDeadlineMs ?? 120_000;
    this.typingIntervalMs = options.typingIntervalMs ?? 2000;
  }

  get state(): ConnectionState {
    return this.stateValue;
  }

  /** The current connection's `hello`, while connected. */
  get session(): HelloFrame | undefined {
    return this.stateValue === 'open' ? this.hello : undefined;
  }

  /** The last seq delivered for a room (what a resume would continue after). */
  lastSeq(roomId: string): number | undefined {
    return this.rooms.get(roomId)?.tracker.lastSeq;
  }

  /** Opens the connection (once); resolves with the first `hello`. */
  connect(): Promise<HelloFrame> {
    if (this.stopped) return Promise.reject(new ChatError('CLOSED', 'client closed'));
    if (this.stateValue === 'open' && this.hello) return Promise.resolve(this.hello);
    const done = new Promise<HelloFrame>((resolve, reject) => this.helloWaiters.push({ resolve, reject }));
    if (this.stateValue === 'idle') void this.openSocket();
    return done;
  }

  /**
   * Joins a room and keeps it joined across reconnects. With `afterSeq`, every message after it is
   * delivered first (the resume point of a previous session).
   */
  join(roomId: string, options: { afterSeq?: number } = {}): Promise<JoinedFrame> {
    if (this.stopped) return Promise.reject(new ChatError('CLOSED', 'client closed'));
    let entry = this.rooms.get(roomId);
    if (!entry) {
      entry = { tracker: new RoomTracker(options.afterSeq), joinedGen: -1, joining: false, waiters: [], attempts: 0 };
      this.rooms.set(roomId, entry);
    }
    const done = new Promise<JoinedFrame>((resolve, reject) => entry.waiters.push({ resolve, reject }));
    if (!entry.joining) this.sendJoin(roomId, entry);
    return done;
  }

  /** Leaves a room: no more of its traffic; pending sends to it fail. */
  async leave(roomId: string): Promise<void> {
    const entry = this.rooms.get(roomId);
    if (entry) this.forgetRoom(roomId, entry, new ChatError('NOT_JOINED', 'left the room'));
    if (!this.isOpen()) return;
    const id = this.requestId('l');
    const done = new Promise<void>((resolve, reject) => this.leaves.set(id, { resolve, reject }));
    this.write({ type: 'leave', id, roomId });
    return done;
  }

  /**
   * Sends a message; resolves with its `ack` once the server stored it. Retried with the same
   * clientMsgId across reconnects and UNAVAILABLE / RATE_LIMITED answers (the server stores it once).
   * A room's sends go out one at a time, each once the one before it was acked (or failed for good):
   * the room stores them in the order they were made even when one of them has to be retried.
   */
  send(roomId: string, body: string, options: SendOptions = {}): Promise<AckFrame> {
    if (this.stopped) return Promise.reject(new ChatError('CLOSED', 'client closed'));
    const clientMsgId = options.clientMsgId ?? randomId();
    this.typingSentAt.delete(roomId);
    const key = sendKey(roomId, clientMsgId);
    const existing = this.outbox.get(key);
    if (existing) return new Promise<AckFrame>((resolve, reject) => existing.waiters.push({ resolve, reject }));
    return new Promise<AckFrame>((resolve, reject) => {
      const pending: PendingSend = {
        waiters: [{ resolve, reject }],
        roomId,
        clientMsgId,
        body,
        sentGen: -1,
        attempts: 0,
        deadline: setTimeout(
          () => this.settleSend(key, new ChatError('TIMEOUT', 'no ack before the send deadline')),
          this.sendDeadlineMs,
        ),
      };
      this.outbox.set(key, pending);
      this.writeSend(pending);
    });
  }

  /**
   * Tells the room's other members that this user is typing (dropped while disconnected). Call it on
   * every keystroke: at most one frame per `typingIntervalMs` goes out per room, and sending a message
   * lets the next keystroke announce typing again at once.
   */
  typing(roomId: string): void {
    if (!this.joinedNow(roomId)) return;
    const now = Date.now();
    if (now - (this.typingSentAt.get(roomId) ?? Number.NEGATIVE_INFINITY) < this.typingIntervalMs) return;
    this.typingSentAt.set(roomId, now);
    this.write({ type: 'typing', roomId });
  }

  /**
   * Retries at once instead of waiting out the backoff (e.g. when the browser says it is back online).
   * Does nothing while a connection is open or being opened.
   */
  reconnectNow(): void {
    if (this.stopped || this.reconnectTimer === undefined) return;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    this.connectAttempts = 0;
    void this.openSocket();
  }

  /**
   * Treats the connection as lost (e.g. the platform reports the network gone, where a socket can
   * stay silently open for a long time): closes it and reconnects with backoff. Joined rooms resume
   * and unacknowledged sends are sent again on the next connection.
   */
  dropConnection(reason = 'dropped by the application'): void {
    const ws = this.ws;
    if (this.stopped || !ws) return;
    this.onSocketGone(4000, reason);
    ws.close(4000, reason);
  }

  /** Moves this user's read marker in a room (sent once joined if not connected now). */
  read(roomId: string, seq: number): void {
    const entry = this.rooms.get(roomId);
    if (!entry) return;
    entry.pendingRead = Math.max(entry.pendingRead ?? 0, seq);
    this.flushRead(roomId, entry);
  }

  /** Closes for good: pending sends and joins fail with CLOSED. */
  close(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.reconnectTimer);
    this.stopHeartbeat();
    this.stopRefresh();
    const closed = new ChatError('CLOSED', 'client closed');
    for (const key of [...this.outbox.keys()]) this.settleSend(key, closed);
    for (const [roomId, entry] of this.rooms) this.forgetRoom(roomId, entry, closed);
    for (const waiter of this.helloWaiters.splice(0)) waiter.reject(closed);
    for (const waiter of this.leaves.values()) waiter.resolve();
    this.leaves.clear();
    const ws = this.ws;
    this.ws = undefined;
    if (ws) ws.close(1000, 'client closed');
    this.setState('closed');
  }

  // ---- connection ----

  private async openSocket(): Promise<void> {
    if (this.stopped) return;
    this.setState(this.gen === 0 ? 'connecting' : 'reconnecting');
    let token: string;
    try {
      token = await resolveToken(this.options.token);
      this.token = { value: token, exp: tokenExpiry(token) };
    } catch (err) {
      this.emit('error', new ChatError('UNAVAILABLE', `cannot get a token: ${String(err)}`));
      return this.scheduleReconnect();
    }
    if (this.stopped) return;
    const url = new URL(this.options.url);
    url.searchParams.set('token', token);
    let ws: WebSocketLike;
    try {
      ws = new this.WebSocketClass(url.toString());
    } catch (err) {
      this.emit('error', new ChatError('UNAVAILABLE', `cannot open a WebSocket: ${String(err)}`));
      return this.scheduleReconnect();
    }
    this.gen += 1;
    this.ws = ws;
    ws.onmessage = (event) => {
      if (this.ws === ws) this.onText(typeof event.data === 'string' ? event.data : String(event.data));
    };
    ws.onclose = (event) => {
      if (this.ws === ws) this.onSocketGone(event.code, event.reason);
    };
    ws.onerror = () => {
      // A close event follows every error; reconnecting happens there.
    };
  }

  private onSocketGone(code: number, reason: string): void {
    this.ws = undefined;
    this.stopHeartbeat();
    this.stopRefresh();
    for (const pending of this.outbox.values()) {
      this.unschedule(pending);
      pending.sentGen = -1;
    }
    for (const entry of this.rooms.values()) {
      entry.joining = false;
      clearTimeout(entry.retryTimer);
    }
    this.emit('disconnected', { code, reason });
    if (!this.stopped) this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.stopped) return;
    this.setState('reconnecting');
    const delay = backoffDelay(this.connectAttempts, this.backoff);
    this.connectAttempts += 1;
    clearTimeout(this.reconnectTimer);
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      void this.openSocket();
    }, delay);
  }

  private startHeartbeat(heartbeatSec: number): void {
    this.stopHeartbeat();
    this.lastFrameAt = Date.now();
    this.heartbeat = setInterval(() => {
      if (Date.now() - this.lastFrameAt > heartbeatSec * 2000) {
        // Nothing heard for two intervals: the connection is dead even if no close event came.
        const ws = this.ws;
        this.onSocketGone(1006, 'heartbeat timeout');
        ws?.close(4000, 'heartbeat timeout');
        return;
      }
      this.write({ type: 'ping' });
    }, heartbeatSec * 1000);
  }

  private stopHeartbeat(): void {
    clearInterval(this.heartbeat);
    this.heartbeat = undefined;
  }

  private setState(state: ConnectionState): void {
    if (this.stateValue === state) return;
    this.stateValue = state;
    this.emit('state', state);
  }

  // ---- frames from the server ----

  private onText(text: string): void {
    this.lastFrameAt = Date.now();
    let frame: ServerFrame;
    try {
      frame = JSON.parse(text) as ServerFrame;
    } catch {
      return;
    }
    switch (frame.type) {
      case 'hello':
        this.onHello(frame);
        break;
      case 'joined':
        this.onJoined(frame);
        break;
      case 'message':
        this.onMessage(frame);
        break;
      case 'ack':
        this.settleSend(sendKey(frame.roomId, frame.clientMsgId), frame);
        break;
      case 'error':
        this.onError(frame);
        break;
      case 'left':
        if (frame.id !== undefined) {
          this.leaves.get(frame.id)?.resolve();
          this.leaves.delete(frame.id);
        }
        break;
      case 'removed': {
        const entry = this.rooms.get(frame.roomId);
        if (entry) this.forgetRoom(frame.roomId, entry, new ChatError('NOT_A_MEMBER', 'removed from the room'));
        this.emit('removed', { roomId: frame.roomId });
        break;
      }
      case 'typing':
        this.emit('typing', frame);
        break;
      case 'read':
        this.emit('read', frame);
        break;
      case 'presence':
        this.emit('presence', frame);
        break;
      case 'refreshed':
        this.onRefreshed(frame);
        break;
      case 'pong':
        break;
    }
  }

  private onHello(frame: HelloFrame): void {
    this.hello = frame;
    this.connectAttempts = 0;
    this.setState('open');
    this.startHeartbeat(frame.heartbeatSec);
    this.refreshAttempts = 0;
    this.scheduleRefresh();
    for (const waiter of this.helloWaiters.splice(0)) waiter.resolve(frame);
    this.emit('hello', frame);
    for (const [roomId, entry] of this.rooms) this.sendJoin(roomId, entry);
  }

  private onJoined(frame: JoinedFrame): void {
    if (frame.id !== undefined) this.joinIds.delete(frame.id);
    const entry = this.rooms.get(frame.roomId);
    if (!entry) return;
    entry.joining = false;
    entry.joinedGen = this.gen;
    entry.attempts = 0;
    entry.tracker.joined(frame.lastSeq, frame.truncated === true);
    for (const waiter of entry.waiters.splice(0)) waiter.resolve(frame);
    this.emit('joined', frame);
    this.writeNext(frame.roomId);
    this.flushRead(frame.roomId, entry);
  }

  private onMessage(frame: MessageFrame): void {
    const entry = this.rooms.get(frame.roomId);
    if (!entry) return;
    const decision = entry.tracker.decide(frame.seq);
    if (decision === 'deliver') this.emit('message', frame);
    // Missing messages: join again on this connection, resuming after the last delivered seq.
    else if (decision === 'gap' && !entry.joining) this.sendJoin(frame.roomId, entry);
  }

  private onError(frame: ErrorFrame): void {
    const error = new ChatError(frame.code, frame.message, frame);
    if (frame.id !== undefined && frame.id === this.refreshId) {
      this.refreshFailed(error);
      return;
    }
    // the connection's token expired before a refresh got through: try now (the server closes it soon)
    if (frame.code === 'TOKEN_EXPIRED' && frame.id === undefined && this.refreshId === undefined) void this.refresh();
    if (frame.clientMsgId !== undefined && frame.roomId !== undefined) {
      const key = sendKey(frame.roomId, frame.clientMsgId);
      const pending = this.outbox.get(key);
      if (pending) {
        this.onSendError(key, pending, error);
        return;
      }
    }
    const joinedRoom = frame.id !== undefined ? this.joinIds.get(frame.id) : undefined;
    if (frame.id !== undefined && joinedRoom !== undefined) {
      this.joinIds.delete(frame.id);
      const entry = this.rooms.get(joinedRoom);
      if (entry) {
        this.onJoinError(joinedRoom, entry, error);
        return;
      }
    }
    if (frame.id !== undefined && this.leaves.has(frame.id)) {
      this.leaves.get(frame.id)?.reject(error);
      this.leaves.delete(frame.id);
      return;
    }
    this.emit('error', error);
  }

  // ---- the connection's token (SPEC §3) ----

  private scheduleRefresh(): void {
    this.stopRefresh();
    const exp = this.token?.exp;
    if (exp === undefined || typeof this.options.token !== 'function') return;
    const left = exp * 1000 - Date.now();
    const lead = Math.min((this.options.refreshBeforeSec ?? 60) * 1000, left / 4);
    this.refreshTimer = setTimeout(() => void this.refresh(), Math.max(0, left - lead));
  }

  private async refresh(): Promise<void> {
    this.stopRefresh();
    const gen = this.gen;
    let token: string;
    try {
      token = await resolveToken(this.options.token);
    } catch (err) {
      return this.refreshFailed(new ChatError('UNAVAILABLE', `cannot get a token: ${String(err)}`));
    }
    if (gen !== this.gen || !this.isOpen() || this.refreshId !== undefined) return;
    if (token === this.token?.value) {
      // The provider has nothing newer yet: ask again shortly (the server closes only after its grace).
      return this.refreshFailed();
    }
    this.refreshId = this.requestId('r');
    this.token = { value: token, exp: tokenExpiry(token) };
    this.write({ type: 'refresh', id: this.refreshId, token });
  }

  private onRefreshed(frame: RefreshedFrame): void {
    if (frame.id !== this.refreshId) return;
    this.refreshId = undefined;
    this.refreshAttempts = 0;
    if (this.token) this.token.exp = frame.exp;
    this.scheduleRefresh();
  }

  /** A refresh that did not go through is tried again with backoff; past `exp` the server closes with 4001 and the client reconnects. */
  private refreshFailed(error?: ChatError): void {
    this.refreshId = undefined;
    if (error) this.emit('error', error);
    if (this.stopped || !this.isOpen()) return;
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => void this.refresh(), backoffDelay(this.refreshAttempts++, this.backoff));
  }

  private stopRefresh(): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    this.refreshId = undefined;
  }

  // ---- joins ----

  private sendJoin(roomId: string, entry: RoomEntry): void {
    if (!this.isOpen()) return; // joined again after the next hello
    const id = this.requestId('j');
    this.joinIds.set(id, roomId);
    entry.joining = true;
    const afterSeq = entry.tracker.resumePoint();
    this.write(afterSeq === undefined ? { type: 'join', id, roomId } : { type: 'join', id, roomId, afterSeq });
  }

  private onJoinError(roomId: string, entry: RoomEntry, error: ChatError): void {
    entry.joining = false;
    if (retryable(error)) {
      clearTimeout(entry.retryTimer);
      entry.retryTimer = setTimeout(
        () => {
          if (this.rooms.get(roomId) === entry && !entry.joining) this.sendJoin(roomId, entry);
        },
        backoffDelay(entry.attempts++, this.retryBackoff),
      );
      return;
    }
    if (error.code === 'BAD_REQUEST' && entry.joinedGen === this.gen) return; // a re-sync raced another join
    this.forgetRoom(roomId, entry, error);
  }

  private forgetRoom(roomId: string, entry: RoomEntry, error: ChatError): void {
    this.rooms.delete(roomId);
    clearTimeout(entry.retryTimer);
    for (const waiter of entry.waiters.splice(0)) waiter.reject(error);
    for (const [key, pending] of this.outbox) if (pending.roomId === roomId) this.settleSend(key, error);
  }

  // ---- sends ----

  /** The room's oldest unacknowledged send, the only one that may be on the wire. */
  private firstSend(roomId: string): PendingSend | undefined {
    for (const pending of this.outbox.values()) if (pending.roomId === roomId) return pending;
    return undefined;
  }

  /** Writes the room's oldest send unless it is on this connection already or waiting to be retried. */
  private writeNext(roomId: string): void {
    const next = this.firstSend(roomId);
    if (next && next.sentGen !== this.gen && next.timer === undefined) this.writeSend(next);
  }

  /** Cancels the send's scheduled write (ack timeout or retry backoff): `writeNext` may write it again. */
  private unschedule(pending: PendingSend): void {
    clearTimeout(pending.timer);
    pending.timer = undefined;
  }

  private writeSend(pending: PendingSend): void {
    this.unschedule(pending);
    if (!this.joinedNow(pending.roomId) || this.firstSend(pending.roomId) !== pending) {
      pending.sentGen = -1; // written when the room is joined on a connection and the sends before it are acked
      return;
    }
    pending.sentGen = this.gen;
    this.write({ type: 'send', roomId: pending.roomId, clientMsgId: pending.clientMsgId, body: pending.body });
    // No ack in time (e.g. the router failed over): send again; the server stores it once.
    pending.timer = setTimeout(() => this.writeSend(pending), this.ackTimeoutMs);
  }

  private onSendError(key: string, pending: PendingSend, error: ChatError): void {
    this.unschedule(pending);
    pending.sentGen = -1;
    if (retryable(error)) {
      pending.timer = setTimeout(() => this.writeSend(pending), backoffDelay(pending.attempts++, this.retryBackoff));
      return;
    }
    if (error.code === 'NOT_JOINED') {
      const entry = this.rooms.get(pending.roomId);
      if (entry && !entry.joining) this.sendJoin(pending.roomId, entry);
      if (entry) return; // written again on `joined`
    }
    this.settleSend(key, error);
  }

  private settleSend(key: string, outcome: AckFrame | ChatError): void {
    const pending = this.outbox.get(key);
    if (!pending) return;
    this.outbox.delete(key);
    clearTimeout(pending.timer);
    clearTimeout(pending.deadline);
    for (const waiter of pending.waiters) {
      if (outcome instanceof ChatError) waiter.reject(outcome);
      else waiter.resolve(outcome);
    }
    if (!this.stopped) this.writeNext(pending.roomId);
  }

  // ---- helpers ----

  private flushRead(roomId: string, entry: RoomEntry): void {
    if (entry.pendingRead === undefined || !this.joinedNow(roomId)) return;
    this.write({ type: 'read', roomId, seq: entry.pendingRead });
    entry.pendingRead = undefined;
  }

  private joinedNow(roomId: string): boolean {
    return this.isOpen() && this.rooms.get(roomId)?.joinedGen === this.gen;
  }

  private isOpen(): boolean {
    return this.stateValue === 'open' && this.ws !== undefined && this.ws.readyState === OPEN;
  }

  private requestId(prefix: string): string {
    this.nextRequestId += 1;
    return `${prefix}${this.nextRequestId}`;
  }

  private write(frame: object): void {
    if (this.ws?.readyState === OPEN) this.ws.send(JSON.stringify(frame));
  }
}
