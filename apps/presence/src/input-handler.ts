/** Applies one gateway message to the presence store and starts what follows from it. */
import type { PresenceInput } from '@coffeechat/contracts';
import type { Logger } from '@coffeechat/service-kit';
import type { CatchUp } from './catch-up.js';
import type { PresenceMetrics } from './metrics.js';
import type { PresenceStore } from './redis/presence-store.js';
import type { Sweeper } from './sweeper.js';

export interface InputHandlerDeps {
  store: PresenceStore;
  sweeper: Sweeper;
  metrics: PresenceMetrics;
  logger: Logger;
  graceMs: number;
  catchUp: CatchUp;
}

export function createInputHandler({ store, sweeper, metrics, logger, graceMs, catchUp }: InputHandlerDeps) {
  return async (input: PresenceInput): Promise<void> => {
    metrics.events.inc({ kind: input.kind });
    catchUp.consumed(input.at, Date.now());
    switch (input.kind) {
      case 'connected':
        await store.connect(input.gatewayId, input.userId, input.connId, input.at);
        return;
      case 'disconnected': {
        // The user's last connection closed: their offline is due when the grace period ends.
        const due = await store.disconnect(input.gatewayId, input.userId, input.connId);
        if (due !== undefined) sweeper.sweepAfter(graceMs);
        return;
      }
      case 'heartbeat': {
        metrics.heartbeatBatchSize.observe(input.conns.length);
        const done = metrics.heartbeatApplySeconds.startTimer();
        const outcome = await store.heartbeat(input.gatewayId, input.at, input.conns, input.partial === true);
        done();
        if (outcome.stale) {
          metrics.heartbeatsStale.inc();
          logger.warn({ gatewayId: input.gatewayId, at: input.at }, 'dropped a heartbeat older than the TTL');
        }
        return;
      }
    }
  };
}
