/** The gateway's domain metrics (`coffeechat_gateway_*`); labels are bounded sets, never ids. */
import type { Metrics } from '@coffeechat/service-kit';
import { latencyHistogram } from '@coffeechat/telemetry';
import { Counter, Gauge, Histogram } from 'prom-client';

export class GatewayMetrics {
  readonly connections: Gauge;
  readonly framesIn: Counter<'type'>;
  readonly framesOut: Counter<'type'>;
  readonly errors: Counter<'code'>;
  readonly sendToAck: Histogram;
  readonly sendToDeliver: Histogram;
  /** per-hop latency, shared family with the router (`hop` = delivery here) */
  readonly hopLatency: Histogram<'hop'>;
  readonly roomsBound: Gauge;
  readonly duplicatesDropped: Counter;
  readonly resendsAbsorbed: Counter;
  readonly shed: Counter;
  readonly sendsInFlight: Gauge;
  readonly sendsHeld: Gauge;
  readonly heldSends: Counter<'outcome'>;
  readonly sendsRepublished: Counter;
  readonly closes: Counter<'reason'>;
  readonly catchUps: Counter<'outcome'>;

  constructor({ registry }: Metrics) {
    const registers = [registry];
    this.connections = new Gauge({
      name: 'coffeechat_gateway_connections',
      help: 'open WebSocket connections',
      registers,
    });
    this.framesIn = new Counter({
      name: 'coffeechat_gateway_frames_in_total',
      help: 'frames received from clients, by frame type (invalid = not a valid frame)',
      labelNames: ['type'],
      registers,
    });
    this.framesOut = new Counter({
      name: 'coffeechat_gateway_frames_out_total',
      help: 'frames written to client sockets, by frame type',
      labelNames: ['type'],
      registers,
    });
    this.errors = new Counter({
      name: 'coffeechat_gateway_errors_total',
      help: 'error frames sent to clients, by code',
      labelNames: ['code'],
      registers,
    });
    this.sendToAck = new Histogram({
      name: 'coffeechat_gateway_send_ack_seconds',
      help: 'time from a send frame arriving to its ack leaving the gateway',
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers,
    });
    this.sendToDeliver = latencyHistogram({
      name: 'coffeechat_gateway_send_deliver_seconds',
      help: 'time from the sender’s gateway receiving a send to this gateway writing the message to the room (two hosts’ clocks)',
      registry,
    });
    this.hopLatency = latencyHistogram({
      name: 'coffeechat_hop_latency_seconds',
      help: 'latency of one hop of a chat message: delivery = stored by the router → forwarded to the room’s sockets here',
      labelNames: ['hop'],
      registry,
    });
    this.roomsBound = new Gauge({
      name: 'coffeechat_gateway_rooms_bound',
      help: 'rooms this gateway’s queue is bound to (rooms with a local joined socket)',
      registers,
    });
    this.duplicatesDropped = new Counter({
      name: 'coffeechat_gateway_duplicate_frames_dropped_total',
      help: 'room frames dropped because their seq was already forwarded (re-published after a router fail-over)',
      registers,
    });
    this.resendsAbsorbed = new Counter({
      name: 'coffeechat_gateway_resends_absorbed_total',
      help: 'sends not published again because the same connection already had them in flight (their ack will come)',
      registers,
    });
    this.shed = new Counter({
      name: 'coffeechat_gateway_sends_shed_total',
      help: 'sends answered UNAVAILABLE at once because GATEWAY_MAX_SENDS_IN_FLIGHT sends awaited their ack (overload)',
      registers,
    });
    this.sendsInFlight = new Gauge({
      name: 'coffeechat_gateway_sends_in_flight',
      help: 'sends held or published and awaiting their ack, over every connection (bounded by GATEWAY_MAX_SENDS_IN_FLIGHT)',
      registers,
    });
    this.sendsHeld = new Gauge({
      name: 'coffeechat_gateway_sends_held',
      help: 'sends held while the broker is away (until the room bindings are restored, at most GATEWAY_SEND_HOLD_MS)',
      registers,
    });
    this.heldSends = new Counter({
      name: 'coffeechat_gateway_held_sends_total',
      help: 'held sends by outcome: published once the room bindings were restored, or expired (answered UNAVAILABLE)',
      labelNames: ['outcome'],
      registers,
    });
    this.sendsRepublished = new Counter({
      name: 'coffeechat_gateway_sends_republished_total',
      help: 'sends awaiting their ack published again by the gateway after a broker reconnect (their ack may have been lost)',
      registers,
    });
    this.closes = new Counter({
      name: 'coffeechat_gateway_closes_total',
      help: 'connections closed by the gateway, by reason',
      labelNames: ['reason'],
      registers,
    });
    this.catchUps = new Counter({
      name: 'coffeechat_gateway_room_catch_ups_total',
      help: 'rooms that fetched messages this gateway missed (a broker reconnect, a gap in seqs): filled, or gave_up (the clients re-join)',
      labelNames: ['outcome'],
      registers,
    });
  }
}
