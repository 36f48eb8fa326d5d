/**
 * A process's own queue (exclusive, auto-delete) bound to one exchange by the keys it currently needs
 * (a gateway's rooms, the users whose presence it watches), written once: it remembers the keys bound,
 * and after a broker reconnect (the queue is new, every binding gone) declares the queue again, binds
 * every key still wanted, consumes, and only then reports `onRestored`, since whatever was published
 * meanwhile is lost for this queue. The callers reference-count; this module only binds and unbinds.
 *
 * With `lingerMs`, a key let go stays bound that long: bound again meanwhile, it costs no round trip to
 * the broker. After a reconnect storm every client re-joins within seconds, and a gateway would otherwise
 * unbind and bind again each of its rooms and watched users, one broker round trip each (D8 in
 * docs/reliability.md). Messages of a lingering key still arrive; the callers drop what nobody wants.
 *
 * A channel has one method in flight at a time (amqplib waits for each bind-ok), so one channel binds
 * at one broker round trip per key; with `bindChannels` the binds go over that many channels at once,
 * each key always on the same one (its bind and unbind stay in order).
 */
import { type Exchange, fnv1a32 } from '@coffeechat/contracts';
import { traceConsume } from '@coffeechat/telemetry';
import type { Channel, ChannelWrapper } from 'amqp-connection-manager';
import type { ConsumeMessage } from 'amqplib';
import type { Logger } from '../logger.js';
import type { Broker } from './broker.js';
import { consumeQueue } from './consumer.js';
import { unavailable, withinDeadline } from './deadline.js';
import { declareExchanges } from './declare.js';

export interface KeyedQueueOptions {
  broker: Broker;
  logger: Logger;
  /** the channel's name (in logs and the management UI) */
  name: string;
  queue: string;
  /** the exchange `bind(key)` binds to */
  keyed: Exchange;
  /** bindings the queue always has, e.g. `membership.*` on the events exchange */
  fixed?: ReadonlyArray<{ exchange: Exchange; key: string }>;
  /** the longest wait for the broker to take a binding */
  timeoutMs: number;
  /** how long a key let go stays bound (0: unbound at once) */
  lingerMs?: number;
  /** channels the binds and unbinds are spread over (default 1: the consuming channel) */
  bindChannels?: number;
  onMessage(msg: ConsumeMessage): void;
  /** after a reconnect, once every binding is back */
  onRestored(): void;
}

interface Binding {
  /** resolves once the broker took the binding */
  bound: Promise<void>;
  /** set while the key lingers after it was let go */
  linger?: NodeJS.Timeout;
}

export class KeyedQueue {
  /** the keys wanted: bound again after a reconnect */
  private readonly keys = new Set<string>();
  /** the keys bound (or being bound) on the current queue, the lingering ones included */
  private bindings = new Map<string, Binding>();
  private channel?: ChannelWrapper;
  /** the channels binds go over (the consuming channel alone by default) */
  private binders: ChannelWrapper[] = [];
  private setups = 0;

  constructor(private readonly options: KeyedQueueOptions) {}

  start(): void {
    const { broker, logger, name, queue, keyed, fixed = [] } = this.options;
    this.channel = broker.channel({
      name,
      confirm: false,
      setup: async (ch: Channel) => {
        const started = performance.now();
        await declareExchanges(ch, keyed, ...fixed.map((f) => f.exchange));
        await ch.assertQueue(queue, { exclusive: true, autoDelete: true, durable: false });
        for (const f of fixed) await ch.bindQueue(queue, f.exchange.name, f.key);
        const declared = performance.now();
        const keys = [...this.keys];
        await Promise.all(keys.map((key) => ch.bindQueue(queue, keyed.name, key)));
        // the queue is new: the lingering keys are not bound on it, the wanted ones now are
        for (const binding of this.bindings.values()) clearTimeout(binding.linger);
        this.bindings = new Map(keys.map((key) => [key, { bound: Promise.resolve() }]));
        if (keys.length > 0) {
          const ms = (from: number) => Math.round(performance.now() - from);
          logger.info(
            { queue, bindings: keys.length, declareMs: ms(started) - ms(declared), bindMs: ms(declared) },
            'bindings restored',
          );
        }
        await consumeQueue(ch, {
          broker,
          logger,
          queue,
          options: { noAck: true },
          onMessage: (msg) => traceConsume(msg, queue, () => this.options.onMessage(msg)),
        });
        this.setups += 1;
        if (this.setups > 1) this.options.onRestored();
      },
    });
    const extra = (this.options.bindChannels ?? 1) - 1;
    this.binders = [
      this.channel,
      ...Array.from({ length: extra }, (_, i) =>
        broker.channel({ name: `${name}-bind-${i + 1}`, confirm: false, setup: async () => undefined }),
      ),
    ];
  }

  /** The channel of a key's binds and unbinds: always the same one for a key. */
  private binder(key: string): ChannelWrapper | undefined {
    return this.binders[fnv1a32(key) % this.binders.length];
  }

  /** Resolves once messages with `key` reach the queue; UNAVAILABLE while the broker is down or slow. */
  async bind(key: string): Promise<void> {
    const { broker, queue, keyed, timeoutMs } = this.options;
    this.keys.add(key);
    const channel = this.channel;
    const binder = this.binder(key);
    if (!channel || !binder || !broker.isConnected()) throw unavailable('broker unavailable');
    // A bind issued while the channel's set-up is still declaring the queue would fail; wait it out.
    await withinDeadline(channel.waitForConnect(), timeoutMs, 'broker not ready');
    if (binder !== channel) await withinDeadline(binder.waitForConnect(), timeoutMs, 'broker not ready');
    let binding = this.bindings.get(key);
    if (binding) {
      clearTimeout(binding.linger);
      binding.linger = undefined;
    } else {
      const bound = withinDeadline(binder.bindQueue(queue, keyed.name, key), timeoutMs, 'bind failed').then(
        () => undefined,
      );
      const added: Binding = { bound };
      binding = added;
      this.bindings.set(key, added);
      // a failed bind is tried again by the next bind()
      bound.catch(() => this.bindings.get(key) === added && this.bindings.delete(key));
    }
    await binding.bound;
  }

  async unbind(key: string): Promise<void> {
    this.keys.delete(key);
    const binding = this.bindings.get(key);
    if (!binding || binding.linger) return;
    const lingerMs = this.options.lingerMs ?? 0;
    if (lingerMs > 0) {
      binding.linger = setTimeout(() => void this.release(key, binding).catch(() => undefined), lingerMs);
      binding.linger.unref();
      return;
    }
    await this.release(key, binding);
  }

  private async release(key: string, binding: Binding): Promise<void> {
    if (this.bindings.get(key) !== binding) return;
    this.bindings.delete(key);
    // while the broker is down there is nothing to undo: the reconnect binds only the keys still wanted
    const binder = this.binder(key);
    if (!binder || !this.options.broker.isConnected()) return;
    await binder.unbindQueue(this.options.queue, this.options.keyed.name, key);
  }

  async close(): Promise<void> {
    for (const binding of this.bindings.values()) clearTimeout(binding.linger);
    await Promise.all(this.binders.map((ch) => ch.close()));
  }
}
