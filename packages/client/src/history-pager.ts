/**
 * Pages a room's history backwards over HTTP (scroll-up in a chat window): the newest page first,
 * then each older page before the oldest seq seen so far. Live messages delivered by the client fill
 * in from the other end; merging both by seq leaves no gap and no duplicate.
 */
import type { StoredMessage } from '@coffeechat/contracts';
import type { ChatApi } from './chat-api.js';

export class HistoryPager {
  /** lowest seq loaded or seen; older pages end before it */
  private oldest: number | undefined;
  private more = true;
  private inFlight: Promise<StoredMessage[]> | undefined;

  constructor(
    private readonly api: ChatApi,
    readonly roomId: string,
    private readonly pageSize = 50,
  ) {}

  /** false once the first message of the room was loaded */
  get hasMore(): boolean {
    return this.more;
  }

  /** Tells the pager about a message that arrived another way (live), so paging continues below it. */
  seen(seq: number): void {
    if (this.oldest === undefined || seq < this.oldest) this.oldest = seq;
  }

  /** The next older page, ascending ([] when there is none); concurrent calls share one request. */
  older(): Promise<StoredMessage[]> {
    if (!this.more) return Promise.resolve([]);
    this.inFlight ??= this.fetchOlder().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async fetchOlder(): Promise<StoredMessage[]> {
    const page = await this.api.history(this.roomId, {
      limit: this.pageSize,
      ...(this.oldest !== undefined ? { beforeSeq: this.oldest } : {}),
    });
    const first = page.messages[0];
    if (first) this.seen(first.seq);
    this.more = page.hasMore && (first?.seq ?? 1) > 1;
    return page.messages;
  }
}
