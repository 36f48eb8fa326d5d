/**
 * Per-connection budgets (SPEC §2, §4): sends, typing, joins and leaves, and reads per second, bad
 * frames per minute. Fixed windows from rate-limiter-flexible's in-memory limiter, keyed by connection id.
 */
import { RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

export type Budget = 'send' | 'typing' | 'joinLeave' | 'read' | 'badFrame';

export interface BudgetSettings {
  sendsPerSecond: number;
  typingPerSecond: number;
  joinsPerSecond: number;
  readsPerSecond: number;
  badFramesPerMinute: number;
}

export class ConnectionBudgets {
  private readonly limiters: Record<Budget, RateLimiterMemory>;

  constructor(settings: BudgetSettings) {
    this.limiters = {
      send: new RateLimiterMemory({ keyPrefix: 'send', points: settings.sendsPerSecond, duration: 1 }),
      typing: new RateLimiterMemory({ keyPrefix: 'typing', points: settings.typingPerSecond, duration: 1 }),
      joinLeave: new RateLimiterMemory({ keyPrefix: 'join', points: settings.joinsPerSecond, duration: 1 }),
      read: new RateLimiterMemory({ keyPrefix: 'read', points: settings.readsPerSecond, duration: 1 }),
      badFrame: new RateLimiterMemory({ keyPrefix: 'bad', points: settings.badFramesPerMinute, duration: 60 }),
    };
  }

  /** Takes one unit of `budget`; false when the connection has used up the current window. */
  async take(budget: Budget, connId: string): Promise<boolean> {
    try {
      await this.limiters[budget].consume(connId);
      return true;
    } catch (err) {
      if (err instanceof RateLimiterRes) return false;
      throw err;
    }
  }

  /** Frees a closed connection's counters at once instead of at the end of their windows. */
  forget(connId: string): void {
    for (const limiter of Object.values(this.limiters)) void limiter.delete(connId);
  }
}
