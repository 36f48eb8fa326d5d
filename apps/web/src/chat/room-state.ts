/** What the page shows of one room: its timeline, unsent messages, typers, members and read markers. */
import { type ChatApi, HistoryPager } from '@coffeechat/client';
import type { PresenceStatus, StoredMessage } from '@coffeechat/contracts';
import { signal } from '@preact/signals';
import { mergeBySeq } from './timeline.js';

export interface OutgoingMessage {
  clientMsgId: string;
  body: string;
  /** pending until the server stored it (ack), failed when it refused or gave up */
  status: 'pending' | 'acked' | 'failed';
  error?: string;
}

const HISTORY_PAGE = 50;

export class RoomState {
  readonly messages = signal<StoredMessage[]>([]);
  readonly outgoing = signal<OutgoingMessage[]>([]);
  readonly typers = signal<string[]>([]);
  readonly members = signal<string[]>([]);
  readonly presence = signal<Record<string, PresenceStatus>>({});
  /** other members' read markers, as announced since this page joined */
  readonly reads = signal<Record<string, number>>({});
  readonly hasOlder = signal(true);
  readonly loadingOlder = signal(false);
  readonly historyError = signal<string | null>(null);
  private pager: HistoryPager;

  constructor(
    readonly roomId: string,
    private readonly api: ChatApi,
  ) {
    this.pager = new HistoryPager(api, roomId, HISTORY_PAGE);
  }

  /** Live messages (and replays after a reconnect), in seq order from the client. */
  addLive(message: StoredMessage): void {
    this.pager.seen(message.seq);
    this.messages.value = mergeBySeq(this.messages.value, [message]);
    const mine = this.outgoing.value;
    if (mine.some((o) => o.clientMsgId === message.clientMsgId))
      this.outgoing.value = mine.filter((o) => o.clientMsgId !== message.clientMsgId);
  }

  /** Loads the page before the oldest message shown (the newest page when none is). */
  async loadOlder(): Promise<void> {
    if (this.loadingOlder.value || !this.hasOlder.value) return;
    this.loadingOlder.value = true;
    try {
      const older = await this.pager.older();
      this.messages.value = mergeBySeq(this.messages.value, older);
      this.hasOlder.value = this.pager.hasMore;
      this.historyError.value = null;
    } catch (err) {
      this.historyError.value = `Could not load earlier messages: ${err instanceof Error ? err.message : String(err)}`;
    } finally {
      this.loadingOlder.value = false;
    }
  }

  /** After a truncated resume (over 1000 missed): start over from the newest page. */
  reset(): void {
    this.pager = new HistoryPager(this.api, this.roomId, HISTORY_PAGE);
    this.messages.value = [];
    this.hasOlder.value = true;
  }

  setOutgoing(clientMsgId: string, change: Partial<OutgoingMessage>): void {
    this.outgoing.value = this.outgoing.value.map((o) => (o.clientMsgId === clientMsgId ? { ...o, ...change } : o));
  }

  readBy(userId: string, seq: number): void {
    if ((this.reads.value[userId] ?? 0) < seq) this.reads.value = { ...this.reads.value, [userId]: seq };
  }
}
