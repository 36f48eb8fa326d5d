/**
 * Queue depths for the dashboards and alerts: messages waiting in each partition queue (a partition
 * nobody drains shows a growing backlog) and in the dead-letter queue. Polled on its own channel so a
 * failed check cannot disturb consuming or publishing.
 */
import type { Topology } from '@coffeechat/contracts';
import type { Broker, Logger } from '@coffeechat/service-kit';
import type { Channel } from 'amqplib';
import type { RouterMetrics } from '../metrics.js';

export function startBacklogMonitor(options: {
  broker: Broker;
  topology: Topology;
  partitions: number;
  metrics: RouterMetrics;
  logger: Logger;
  everyMs?: number;
}): { stop(): Promise<void> } {
  const { broker, topology, partitions, metrics, logger, everyMs = 5000 } = options;
  let channel: Channel | undefined;
  const wrapper = broker.channel({
    name: 'backlog',
    confirm: false,
    setup: async (ch: Channel) => {
      channel = ch;
    },
  });
  let polling = false;
  const poll = async () => {
    if (polling || !channel) return;
    polling = true;
    try {
      for (let p = 0; p < partitions; p++) {
        const { messageCount } = await channel.checkQueue(topology.inboundQueue(p));
        metrics.partitionBacklog.set({ partition: String(p) }, messageCount);
      }
      metrics.deadLetterBacklog.set((await channel.checkQueue(topology.deadQueue)).messageCount);
    } catch (err) {
      // a missing queue closes the channel; amqp-connection-manager opens a new one
      logger.debug({ err: (err as Error).message }, 'queue depth check failed');
    } finally {
      polling = false;
    }
  };
  const timer = setInterval(() => void poll(), everyMs);
  timer.unref();
  return {
    async stop() {
      clearInterval(timer);
      await wrapper.close();
    },
  };
}
