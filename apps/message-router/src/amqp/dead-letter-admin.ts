/**
 * Operator access to `<ns>.dead`. Peeking takes messages with `basic.get` and puts them all back with
 * one `nack(multiple, requeue)`, which keeps their order; nothing is lost if the router dies meanwhile
 * (unacked messages return to the queue). Replaying moves each message back to its partition, or to
 * the end of the dead queue if it is still invalid, and acks it only after the broker confirmed the
 * new copy. One operation at a time per router.
 */
import type { DeadLetter, ReplayDeadLettersResponse, Topology } from '@coffeechat/contracts';
import { type Broker, HttpProblem, type Logger } from '@coffeechat/service-kit';
import type { Channel, ConfirmChannel, GetMessage, Options } from 'amqplib';
import { describeDeadLetter, replayTarget } from '../dead-letter-triage.js';
import type { RouterMetrics } from '../metrics.js';
import { DEATH_HEADERS, deadLetter } from '../publications.js';

export class DeadLetterAdmin {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly options: {
      broker: Broker;
      topology: Topology;
      partitions: number;
      metrics: RouterMetrics;
      logger: Logger;
    },
  ) {}

  peek(limit: number): Promise<{ total: number; deadLetters: DeadLetter[] }> {
    return this.exclusive(async () =>
      this.withChannel(false, async (ch) => {
        const { messageCount } = await ch.checkQueue(this.options.topology.deadQueue);
        const taken: GetMessage[] = [];
        for (let i = 0; i < Math.min(limit, messageCount); i++) {
          const msg = await ch.get(this.options.topology.deadQueue, { noAck: false });
          if (!msg) break;
          taken.push(msg);
        }
        const last = taken[taken.length - 1];
        if (last) ch.nack(last, true, true);
        return {
          total: messageCount,
          deadLetters: taken.map((m) =>
            describeDeadLetter({
              content: m.content,
              routingKey: m.fields.routingKey,
              headers: m.properties.headers ?? {},
            }),
          ),
        };
      }),
    );
  }

  replay(limit: number): Promise<ReplayDeadLettersResponse> {
    const { topology, partitions, metrics, logger } = this.options;
    return this.exclusive(async () =>
      this.withChannel(true, async (ch) => {
        const confirm = ch as ConfirmChannel;
        const { messageCount } = await ch.checkQueue(topology.deadQueue);
        let replayed = 0;
        let deadAgain = 0;
        // Only what was there at the start: re-dead-lettered messages go to the end and are not met again.
        for (let i = 0; i < Math.min(limit, messageCount); i++) {
          const msg = await ch.get(topology.deadQueue, { noAck: false });
          if (!msg) break;
          const target = replayTarget(msg.content, partitions);
          const headers = { ...(msg.properties.headers ?? {}) };
          for (const h of DEATH_HEADERS) delete headers[h];
          const properties: Options.Publish = { ...stripNulls(msg.properties), headers, persistent: true };
          if (target.kind === 'partition') {
            delete headers['x-dead-reason'];
            confirm.publish(topology.inboundExchange, topology.partitionKey(target.partition), msg.content, properties);
            replayed++;
          } else {
            const p = deadLetter(
              topology,
              msg.content,
              { routingKey: msg.fields.routingKey, properties },
              target.reason,
            );
            confirm.publish(p.exchange, p.routingKey, p.content, p.options);
            metrics.deadLetters.inc({ reason: 'replay_invalid' });
            deadAgain++;
          }
          await confirm.waitForConfirms();
          ch.ack(msg);
        }
        const remaining = (await ch.checkQueue(topology.deadQueue)).messageCount;
        logger.info({ replayed, deadAgain, remaining }, 'dead letters replayed');
        return { replayed, deadAgain, remaining };
      }),
    );
  }

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn, fn);
    this.queue = run.catch(() => undefined);
    return run;
  }

  private async withChannel<T>(confirm: boolean, fn: (ch: Channel) => Promise<T>): Promise<T> {
    const connection = this.options.broker.connection.connection;
    if (!connection) throw new HttpProblem('UNAVAILABLE', 'broker unavailable');
    const ch = confirm ? await connection.createConfirmChannel() : await connection.createChannel();
    ch.on('error', (err: Error) => this.options.logger.warn({ err: err.message }, 'dead-letter channel error'));
    try {
      return await fn(ch);
    } finally {
      await ch.close().catch(() => undefined);
    }
  }
}

/** amqplib hands back absent properties as undefined; publishing them again must not send them as set. */
function stripNulls(properties: GetMessage['properties']): Options.Publish {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(properties)) if (value !== undefined && value !== null) out[key] = value;
  return out as Options.Publish;
}
