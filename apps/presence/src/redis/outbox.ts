/**
 * The outbox of transitions. The scripts append each transition to a Redis stream in the same
 * atomic step that decides it; every replica reads the stream in one consumer group, publishes
 * what it got, and only then acknowledges and deletes the entries. A replica killed in between
 * leaves its entries pending; another claims them after `claimIdleMs` and publishes them. So a
 * decided transition is published even if its replica dies, and (the group hands each entry to one
 * consumer) once, except in the rare crash between publish and acknowledgement.
 */
import type { PresenceChange } from '@coffeechat/contracts';
import type { Logger } from '@coffeechat/service-kit';
import type { Redis } from 'ioredis';
import type { PresenceKeys } from './keys.js';
import { decodeOutboxEntries, type OutboxEntry } from './replies.js';

const GROUP = 'publishers';
const READ_COUNT = 200;
const BLOCK_MS = 1000;
const CLAIM_IDLE_MS = 5000;
const CLAIM_EVERY_MS = 1000;
/** Consumers of replicas gone for this long, with nothing pending, are removed from the group. */
const FORGET_CONSUMER_IDLE_MS = 60 * 60 * 1000;
const FORGET_EVERY_MS = 60_000;

export interface OutboxOptions {
  /** a connection of its own: the loop blocks on it */
  blocking: Redis;
  redis: Redis;
  keys: PresenceKeys;
  consumer: string;
  logger: Logger;
  /** resolves once the broker confirmed every change */
  publish: (changes: PresenceChange[]) => Promise<void>;
}

export class Outbox {
  private stopping = false;
  private loop: Promise<void> | undefined;
  private lastClaim = 0;
  private lastForget = Date.now();

  constructor(private readonly options: OutboxOptions) {}

  start(): void {
    this.loop ??= this.run();
  }

  /** Finishes the batch in hand, then stops reading. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.options.blocking.disconnect();
    await this.loop;
  }

  private async run(): Promise<void> {
    let groupReady = false;
    while (!this.stopping) {
      try {
        if (!groupReady) groupReady = await this.ensureGroup();
        const reply = await this.options.blocking.xreadgroup(
          'GROUP',
          GROUP,
          this.options.consumer,
          'COUNT',
          READ_COUNT,
          'BLOCK',
          BLOCK_MS,
          'STREAMS',
          this.options.keys.outbox,
          '>',
        );
        const streams = (reply ?? []) as Array<[string, unknown]>;
        for (const [, entries] of streams) await this.deliver(decodeOutboxEntries(entries));
        await this.housekeeping();
      } catch (err) {
        if (this.stopping) break;
        if (String(err).includes('NOGROUP')) groupReady = false;
        this.options.logger.warn({ err }, 'outbox: read failed; retrying');
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  }

  private async ensureGroup(): Promise<boolean> {
    try {
      await this.options.redis.xgroup('CREATE', this.options.keys.outbox, GROUP, '0', 'MKSTREAM');
    } catch (err) {
      if (!String(err).includes('BUSYGROUP')) throw err;
    }
    return true;
  }

  private async deliver(entries: OutboxEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const changes: PresenceChange[] = [];
    for (const entry of entries) {
      if (entry.change) changes.push(entry.change);
      else this.options.logger.error({ id: entry.id }, 'outbox: dropping an entry that is not a presence change');
    }
    await this.options.publish(changes);
    const ids = entries.map((e) => e.id);
    await this.options.redis
      .multi()
      .xack(this.options.keys.outbox, GROUP, ...ids)
      .xdel(this.options.keys.outbox, ...ids)
      .exec();
  }

  /** Takes over entries a dead (or stuck) replica read but never acknowledged; forgets long-gone consumers. */
  private async housekeeping(): Promise<void> {
    const now = Date.now();
    if (now - this.lastClaim >= CLAIM_EVERY_MS) {
      this.lastClaim = now;
      const [, entries] = (await this.options.redis.xautoclaim(
        this.options.keys.outbox,
        GROUP,
        this.options.consumer,
        CLAIM_IDLE_MS,
        '0-0',
        'COUNT',
        READ_COUNT,
      )) as [string, unknown];
      const claimed = decodeOutboxEntries(entries);
      if (claimed.length > 0) {
        this.options.logger.warn(
          { count: claimed.length },
          'outbox: publishing transitions another replica left pending',
        );
        await this.deliver(claimed);
      }
    }
    if (now - this.lastForget >= FORGET_EVERY_MS) {
      this.lastForget = now;
      const consumers = (await this.options.redis.xinfo('CONSUMERS', this.options.keys.outbox, GROUP)) as unknown[][];
      for (const info of consumers) {
        const fields = Object.fromEntries(
          Array.from({ length: info.length / 2 }, (_, i) => [String(info[2 * i]), info[2 * i + 1]]),
        );
        if (Number(fields.pending) === 0 && Number(fields.idle) > FORGET_CONSUMER_IDLE_MS) {
          await this.options.redis.xgroup('DELCONSUMER', this.options.keys.outbox, GROUP, String(fields.name));
        }
      }
    }
  }
}
