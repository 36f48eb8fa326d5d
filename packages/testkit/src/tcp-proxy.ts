/**
 * A TCP proxy between a service and RabbitMQ so a test can cut the network and restore it, which is
 * how the gateway sees a broker outage without stopping the shared broker.
 */
import net from 'node:net';
import { servers } from './servers.js';

export class TcpProxy {
  private readonly server: net.Server;
  private readonly sockets = new Set<net.Socket>();
  private open = true;
  port = 0;

  constructor(
    private readonly targetHost: string,
    private readonly targetPort: number,
  ) {
    this.server = net.createServer((client) => this.accept(client));
  }

  /** A listening proxy in front of the run's RabbitMQ, and the AMQP URL that goes through it. */
  static async toBroker(): Promise<{ proxy: TcpProxy; amqpUrl: string }> {
    const target = new URL(servers.amqpUrl);
    const proxy = new TcpProxy(target.hostname, Number(target.port || 5672));
    target.hostname = '127.0.0.1';
    target.port = String(await proxy.listen());
    return { proxy, amqpUrl: target.toString() };
  }

  async listen(): Promise<number> {
    await new Promise<void>((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(0, '127.0.0.1', () => resolve());
    });
    this.port = (this.server.address() as net.AddressInfo).port;
    return this.port;
  }

  /** Drops every connection and refuses new ones (they are accepted and closed at once). */
  cut(): void {
    this.open = false;
    for (const socket of this.sockets) socket.destroy();
    this.sockets.clear();
  }

  restore(): void {
    this.open = true;
  }

  async close(): Promise<void> {
    this.cut();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  private accept(client: net.Socket): void {
    if (!this.open) {
      client.destroy();
      return;
    }
    const upstream = net.connect(this.targetPort, this.targetHost);
    for (const s of [client, upstream]) {
      this.sockets.add(s);
      s.on('error', () => undefined);
      s.on('close', () => {
        this.sockets.delete(s);
        client.destroy();
        upstream.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
  }
}
