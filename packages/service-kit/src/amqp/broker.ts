/**
 * The RabbitMQ connection every service shares: amqp-connection-manager reconnects with backoff and
 * re-runs each channel's setup (exchanges, queues, bindings, consumers) after a reconnect. Channels are
 * opened through `channel()`, which handles a set-up that fails (a queue whose cluster node is down, a
 * declaration the broker refuses): amqp-connection-manager then leaves the channel closed until the next
 * reconnect and would wedge its consumers, so the broker counts as not ready (`/readyz` 503) and the
 * connection is opened again a few seconds later, running every set-up again, until it works. A set-up
 * that does not finish within `SETUP_DEADLINE_MS` (a consume on a quorum queue that never gets a leader)
 * counts as failed the same way. A consumer the broker cancelled (consumer.ts) holds readiness back
 * until it consumes again (`holdReady`).
 */
import amqp, {
  type AmqpConnectionManager,
  type Channel,
  type ChannelWrapper,
  type CreateChannelOpts,
} from 'amqp-connection-manager';
import type { Logger } from '../logger.js';
import { raceDeadline } from './deadline.js';

export interface Broker {
  connection: AmqpConnectionManager;
  isConnected(): boolean;
  /** connected, and every channel opened with `channel()` set up (declarations made, consumers attached): `/readyz` */
  isReady(): boolean;
  /** A channel whose `setup` runs on every (re)connect; a failed set-up is retried (see above). */
  channel(options: ChannelOptions): ChannelWrapper;
  /** Not ready (`isReady()` false) until the returned release is called; `reason` is for the logs. */
  holdReady(reason: string): () => void;
  /** Closes the connection and opens it again, running every channel's set-up again. */
  reconnect(reason: string): void;
  close(): Promise<void>;
}

export type ChannelOptions = Omit<CreateChannelOpts, 'setup'> & {
  name: string;
  /** declarations, bindings and consumers of a new channel (on every connect) */
  setup?: (ch: Channel) => Promise<unknown>;
};

/** How long after a failed channel set-up the connection is opened again: doubling up to the maximum. */
const SETUP_RETRY_MS = 2000;
const SETUP_RETRY_MAX_MS = 30_000;
/** The longest a channel's set-up may take (declarations, binds, consumers) before it counts as failed. */
const SETUP_DEADLINE_MS = 30_000;

interface ChannelState {
  name: string;
  /** set up since the connection last (re)opened */
  ready: boolean;
  failed: boolean;
}

export function connectBroker(url: string, logger: Logger, name: string): Broker {
  const connection = amqp.connect([url], {
    heartbeatIntervalInSeconds: 10,
    reconnectTimeInSeconds: 1,
    connectionOptions: { clientProperties: { connection_name: name } },
  });
  const channels = new Map<ChannelWrapper, ChannelState>();
  connection.on('connect', () => logger.info('broker connected'));
  connection.on('disconnect', ({ err }) => {
    logger.warn({ err: err?.message }, 'broker disconnected');
    // every set-up runs again on the new connection
    for (const state of channels.values()) {
      state.ready = false;
      state.failed = false;
    }
  });
  connection.on('connectFailed', ({ err }) => logger.warn({ err: err?.message }, 'broker connect failed'));

  let retry: NodeJS.Timeout | undefined;
  let retries = 0;
  let closed = false;
  const holds = new Set<symbol>();
  const reconnect = (reason: string) => {
    if (closed || !connection.isConnected()) return;
    logger.warn({ reason }, 'connecting to the broker again');
    connection.reconnect();
  };
  const failing = () => [...channels.values()].filter((c) => c.failed).map((c) => c.name);
  const retryLater = () => {
    if (retry || closed) return;
    retry = setTimeout(
      () => {
        retry = undefined;
        const names = failing();
        if (names.length > 0) reconnect(`channel set-up failed: ${names.join(', ')}`);
      },
      Math.min(SETUP_RETRY_MAX_MS, SETUP_RETRY_MS * 2 ** retries++),
    );
    retry.unref();
  };

  return {
    connection,
    isConnected: () => connection.isConnected(),
    isReady: () => connection.isConnected() && holds.size === 0 && [...channels.values()].every((c) => c.ready),
    channel(options) {
      const { setup } = options;
      const wrapper = connection.createChannel({
        ...options,
        ...(setup && {
          setup: (ch: Channel) =>
            raceDeadline(
              setup(ch),
              SETUP_DEADLINE_MS,
              () => new Error(`set-up took longer than ${SETUP_DEADLINE_MS} ms`),
            ),
        }),
      });
      const state: ChannelState = { name: options.name, ready: false, failed: false };
      channels.set(wrapper, state);
      // Without a listener an 'error' event would throw inside amqp-connection-manager (an unhandled rejection).
      wrapper.on('error', (err: Error) => {
        logger.warn({ err: err.message, channel: options.name }, 'channel set-up failed');
        state.failed = true;
        retryLater();
      });
      // amqp-connection-manager emits 'connect' after a failed set-up too: the channel stays not ready
      wrapper.on('connect', () => {
        state.ready = !state.failed;
        if (failing().length === 0) retries = 0;
      });
      wrapper.on('close', () => channels.delete(wrapper));
      return wrapper;
    },
    holdReady(reason) {
      const hold = Symbol(reason);
      holds.add(hold);
      return () => holds.delete(hold);
    },
    reconnect,
    close: () => {
      closed = true;
      clearTimeout(retry);
      return connection.close();
    },
  };
}
