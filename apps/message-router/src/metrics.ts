/** The router's domain metrics (`coffeechat_router_*`); labels are bounded sets, never ids. */
import { latencyHistogram } from '@coffeechat/telemetry';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

export type DeadReason = 'invalid' | 'replay_invalid';

export interface RouterMetrics {
  batchSize: Histogram;
  /** messages per store insert, after the partitions' batches of one turn were coalesced */
  insertSize: Histogram;
  storeLatency: Histogram;
  /** the two waits of a batch: `store` (the insert, read markers beside it) and `publish` (until the broker confirmed) */
  batchStep: Histogram<'step'>;
  /** per-hop latency, shared family with the gateway (`hop` = inbound_queue here) */
  hopLatency: Histogram<'hop'>;
  messagesStored: Counter;
  duplicates: Counter;
  redeliveries: Counter;
  deadLetters: Counter<'reason'>;
  nacks: Counter<'reason'>;
  seqConflicts: Counter;
  rejected: Counter<'code'>;
  readsMoved: Counter;
  rpc: Counter<'outcome'>;
  dropped: Counter<'queue'>;
  activePartitions: Gauge;
  partitionBacklog: Gauge<'partition'>;
  deadLetterBacklog: Gauge;
}

export function createRouterMetrics(registry: Registry): RouterMetrics {
  const registers = [registry];
  return {
    batchSize: new Histogram({
      name: 'coffeechat_router_batch_size',
      help: 'inbound deliveries per partition batch',
      buckets: [1, 2, 5, 10, 20, 50, 100],
      registers,
    }),
    insertSize: new Histogram({
      name: 'coffeechat_router_insert_size',
      help: 'messages per insert sent to the store (the partitions’ batches of one turn of the event loop together)',
      buckets: [1, 2, 5, 10, 20, 50, 100, 200, 500],
      registers,
    }),
    storeLatency: new Histogram({
      name: 'coffeechat_router_store_latency_seconds',
      help: 'from the start of a batch until its messages are stored, published, confirmed and acked',
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
      registers,
    }),
    batchStep: latencyHistogram({
      name: 'coffeechat_router_batch_step_seconds',
      help: 'one step of a partition batch: store = the insert (and read markers), publish = until the broker confirmed every publication',
      labelNames: ['step'],
      registry,
    }),
    hopLatency: latencyHistogram({
      name: 'coffeechat_hop_latency_seconds',
      help: 'latency of one hop of a chat message: inbound_queue = published by the gateway → received by the router',
      labelNames: ['hop'],
      registry,
    }),
    messagesStored: new Counter({
      name: 'coffeechat_router_messages_stored_total',
      help: 'new messages stored',
      registers,
    }),
    duplicates: new Counter({
      name: 'coffeechat_router_duplicates_total',
      help: 'sends found already stored (resent clientMsgId or redelivery); the stored one was published again',
      registers,
    }),
    redeliveries: new Counter({
      name: 'coffeechat_router_redeliveries_total',
      help: 'inbound deliveries flagged redelivered by the broker (fail-over, crash, nack)',
      registers,
    }),
    deadLetters: new Counter({
      name: 'coffeechat_router_dead_letters_total',
      help: 'messages this router put on the dead-letter exchange, by reason',
      labelNames: ['reason'],
      registers,
    }),
    nacks: new Counter({
      name: 'coffeechat_router_nacks_total',
      help: 'inbound deliveries returned to their partition after failing alone (counts toward x-delivery-limit)',
      labelNames: ['reason'],
      registers,
    }),
    seqConflicts: new Counter({
      name: 'coffeechat_router_seq_conflicts_total',
      help: 'batches that hit a unique-key conflict (another writer) and were planned again',
      registers,
    }),
    rejected: new Counter({
      name: 'coffeechat_router_rejected_sends_total',
      help: 'sends answered with an error frame, by code',
      labelNames: ['code'],
      registers,
    }),
    readsMoved: new Counter({
      name: 'coffeechat_router_read_markers_moved_total',
      help: 'read markers raised',
      registers,
    }),
    rpc: new Counter({
      name: 'coffeechat_router_rpc_requests_total',
      help: 'join requests answered, by outcome',
      labelNames: ['outcome'],
      registers,
    }),
    dropped: new Counter({
      name: 'coffeechat_router_dropped_total',
      help: 'invalid messages dropped from volatile queues',
      labelNames: ['queue'],
      registers,
    }),
    activePartitions: new Gauge({
      name: 'coffeechat_router_partitions_consuming',
      help: 'partition queues this router has a consumer on (active or standby under single-active-consumer)',
      registers,
    }),
    partitionBacklog: new Gauge({
      name: 'coffeechat_router_partition_backlog',
      help: 'messages waiting in each partition queue (ready, not yet delivered), polled every 5 s',
      labelNames: ['partition'],
      registers,
    }),
    deadLetterBacklog: new Gauge({
      name: 'coffeechat_router_dead_letter_backlog',
      help: 'messages waiting in the dead-letter queue, polled every 5 s',
      registers,
    }),
  };
}
