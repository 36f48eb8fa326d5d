/**
 * A publish on one of the gateway's confirm channels, traced, with a deadline: UNAVAILABLE at once
 * while the broker is down (nothing is queued for later), `fail(what)` when it is not confirmed in time.
 */
import { type Broker, unavailable, withinDeadline } from '@coffeechat/service-kit';
import { type AmqpHeaders, tracePublish } from '@coffeechat/telemetry';
import type { ChannelWrapper } from 'amqp-connection-manager';
import type { Options } from 'amqplib';

export interface ConfirmedPublish {
  exchange: string;
  routingKey: string;
  content: Buffer;
  options: Options.Publish;
  /** headers besides the trace context */
  headers: AmqpHeaders;
  timeoutMs: number;
  /** what the caller is told when the confirm does not come */
  what: string;
  fail?: Parameters<typeof withinDeadline>[3];
}

export async function publishConfirmed(
  broker: Broker,
  channel: ChannelWrapper | undefined,
  { exchange, routingKey, content, options, headers, timeoutMs, what, fail }: ConfirmedPublish,
): Promise<void> {
  if (!channel || !broker.isConnected()) throw unavailable('broker unavailable');
  await withinDeadline(
    tracePublish(
      { exchange, routingKey, bodySize: content.length },
      (traced) => channel.publish(exchange, routingKey, content, { ...options, headers: traced, timeout: timeoutMs }),
      headers,
    ),
    timeoutMs,
    what,
    fail,
  );
}
