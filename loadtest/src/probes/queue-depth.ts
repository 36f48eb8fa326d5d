/**
 * Broker queue depth over time. The inbound partition queues are polled every second with a
 * passive declare (amqplib `checkQueue`, cheap); the gateways' exclusive queues refuse passive
 * declares from other connections, so they are read with `rabbitmqctl` at chosen moments only
 * (it starts an Erlang VM, about a CPU-second per call, too costly to poll).
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import amqp from 'amqplib';

export interface DepthSample {
  t: number;
  /** ready messages summed over the inbound partitions */
  inbound: number;
  /** the deepest single partition */
  maxPartition: number;
}

export interface QueueSnapshot {
  t: number;
  queues: { name: string; messages: number; unacked: number }[];
}

const run = promisify(execFile);

/** Every queue whose name starts with `prefix`, with ready and unacked counts (rabbitmqctl). */
export async function listQueues(prefix: string): Promise<{ name: string; messages: number; unacked: number }[]> {
  try {
    const { stdout } = await run(
      'rabbitmqctl',
      ['list_queues', '--quiet', '--no-table-headers', 'name', 'messages', 'messages_unacknowledged'],
      {
        timeout: 30_000,
      },
    );
    return stdout
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter((f) => f.length === 3 && (f[0] ?? '').startsWith(prefix))
      .map(([name, messages, unacked]) => ({ name: name ?? '', messages: Number(messages), unacked: Number(unacked) }));
  } catch {
    return []; // rabbitmqctl missing or not allowed: the snapshot is simply absent
  }
}

export class QueueDepthProbe {
  readonly samples: DepthSample[] = [];
  readonly snapshots: QueueSnapshot[] = [];
  private timer: NodeJS.Timeout | undefined;
  private busy = false;
  private lost = false;
  private amqpUrl = '';

  private constructor(
    private conn: amqp.ChannelModel,
    private channel: amqp.Channel,
    private readonly partitionQueues: string[],
    private readonly prefix: string,
    private readonly clock: () => number,
  ) {}

  static async start(
    amqpUrl: string,
    partitionQueues: string[],
    prefix: string,
    clock: () => number,
  ): Promise<QueueDepthProbe> {
    const { conn, channel } = await QueueDepthProbe.open(amqpUrl);
    const probe = new QueueDepthProbe(conn, channel, partitionQueues, prefix, clock);
    probe.amqpUrl = amqpUrl;
    probe.watch(conn);
    probe.timer = setInterval(() => void probe.poll(), 1000);
    return probe;
  }

  private static async open(amqpUrl: string): Promise<{ conn: amqp.ChannelModel; channel: amqp.Channel }> {
    const conn = await amqp.connect(amqpUrl);
    conn.on('error', () => undefined);
    const channel = await conn.createChannel();
    channel.on('error', () => undefined);
    return { conn, channel };
  }

  /** A broker that restarts or is cut (the fault suite) closes the connection: the next poll opens a new one. */
  private watch(conn: amqp.ChannelModel): void {
    conn.on('close', () => {
      if (this.conn === conn) this.lost = true;
    });
  }

  private async reconnect(): Promise<void> {
    const { conn, channel } = await QueueDepthProbe.open(this.amqpUrl);
    this.conn = conn;
    this.channel = channel;
    this.lost = false;
    this.watch(conn);
  }

  private async poll(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      if (this.lost) await this.reconnect();
      let inbound = 0;
      let maxPartition = 0;
      for (const q of this.partitionQueues) {
        try {
          const { messageCount } = await this.channel.checkQueue(q);
          inbound += messageCount;
          maxPartition = Math.max(maxPartition, messageCount);
        } catch {
          // not declared yet (a closed channel is replaced for the next queue)
          this.channel = await this.conn.createChannel();
          this.channel.on('error', () => undefined);
        }
      }
      this.samples.push({ t: this.clock(), inbound, maxPartition });
    } catch {
      // broker unreachable for a moment: a missing sample
    } finally {
      this.busy = false;
    }
  }

  /** A full listing of this run's queues now (gateway queues included). */
  async snapshot(): Promise<QueueSnapshot> {
    const s = { t: this.clock(), queues: await listQueues(this.prefix) };
    this.snapshots.push(s);
    return s;
  }

  /** Messages waiting in the inbound partitions at the last poll. */
  latestInbound(): number {
    return this.samples.at(-1)?.inbound ?? 0;
  }

  maxInbound(from = 0, to = Number.POSITIVE_INFINITY): number {
    return Math.max(0, ...this.samples.filter((s) => s.t >= from && s.t <= to).map((s) => s.inbound));
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.lost = false;
    await this.conn.close().catch(() => undefined);
  }
}
