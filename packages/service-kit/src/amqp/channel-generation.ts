/**
 * Which channel a delivery came on, for consumers that settle it through amqp-connection-manager's
 * ChannelWrapper (which acks on whatever channel is current): a delivery of an earlier channel must not
 * be acked on the new one (an unknown delivery tag closes the channel; the broker redelivers it anyway).
 * A new generation starts in the channel's set-up, which runs before the wrapper re-attaches the
 * consumers. Not on the wrapper's `connect` event: that comes after the consumers are attached, and a
 * backlog's first deliveries arrive with the consumer's registration, so they would carry the old
 * generation, never be acked, and each keep a prefetch slot for good (a router that stopped answering
 * joins after a broker restart).
 */
export class ChannelGeneration {
  private count = 0;

  get current(): number {
    return this.count;
  }

  /** The channel's set-up, starting a new generation first. */
  counting<C>(setup: (channel: C) => Promise<void>): (channel: C) => Promise<void> {
    return async (channel) => {
      this.count += 1;
      await setup(channel);
    };
  }
}
