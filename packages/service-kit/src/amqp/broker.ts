/**
 * The RabbitMQ connection every service shares: amqp-connection-manager reconnects with backoff and
 * re-runs each channel's setup (exchanges, queues, bindings, consumers) after a reconnect.
 */
import amqp, { type AmqpConnectionManager } from 'amqp-connection-manager';
import type { Logger } from '../logger.js';

export interface Broker {
  connection: AmqpConnectionManager;
  isConnected(): boolean;
  close(): Promise<void>;
}

export function connectBroker(url: string, logger: Logger, name: string): Broker {
  const connection = amqp.connect([url], {
    heartbeatIntervalInSeconds: 10,
    reconnectTimeInSeconds: 1,
    connectionOptions: { clientProperties: { connection_name: name } },
  });
  connection.on('connect', () => logger.info('broker connected'));
  connection.on('disconnect', ({ err }) => logger.warn({ err: err?.message }, 'broker disconnected'));
  connection.on('connectFailed', ({ err }) => logger.warn({ err: err?.message }, 'broker connect failed'));
  return {
    connection,
    isConnected: () => connection.isConnected(),
    close: () => connection.close(),
  };
}
