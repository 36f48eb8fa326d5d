/**
 * CoffeeChat through its own SDK (@coffeechat/client): the SDK opens the connection, joins, sends,
 * pings and retries unacknowledged sends, as an application would. Its WebSocket is the `ws`
 * class with a tap that reads every frame off the wire first, so the ledger sees what the server
 * sent (duplicates and reordering included), not what the SDK chose to pass on.
 */
import { CoffeeChatClient } from '@coffeechat/client';
import WebSocket from 'ws';
import {
  type ChatConnection,
  type ChatDriver,
  CONNECT_TIMEOUT_MS,
  type ConnectionEvents,
  type ConnectTarget,
  JOIN_TIMEOUT_MS,
} from '../driver.js';
import { parseFrame, report } from './wire-tap.js';

class ClientConnection implements ChatConnection {
  constructor(private readonly client: CoffeeChatClient) {}

  get isOpen(): boolean {
    return this.client.state === 'open';
  }

  /** The SDK keeps trying a join until it works; the generator gives up on it after JOIN_TIMEOUT_MS. */
  async join(roomId: string): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.client.join(roomId),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no joined in ${JOIN_TIMEOUT_MS} ms`)), JOIN_TIMEOUT_MS);
        }),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  send(roomId: string, clientMsgId: string, body: string): void {
    // the ack is read off the wire by the tap; a send the SDK gives up on stays unacked in the ledger
    this.client.send(roomId, body, { clientMsgId }).catch(() => undefined);
  }

  close(): void {
    this.client.close();
  }
}

/**
 * A `ws` WebSocket whose incoming frames pass through `tap` before the SDK's handler. With several
 * gateways, a connection that fails before it opens makes the next attempt go to the next gateway, as a
 * load balancer without sticky sessions would (ARCHITECTURE: a reconnect to any gateway resumes).
 */
function tappedWebSocket(events: ConnectionEvents, gateways: readonly string[]) {
  let current = 0;
  return class TappedWebSocket extends WebSocket {
    constructor(url: string) {
      const target = new URL(url);
      const gateway = gateways[current % gateways.length];
      if (gateway) target.host = new URL(gateway).host;
      super(target.toString(), { perMessageDeflate: false, handshakeTimeout: CONNECT_TIMEOUT_MS });
      let opened = false;
      this.on('open', () => {
        opened = true;
      });
      this.on('close', () => {
        if (!opened) current++;
      });
      this.on('message', (data: Buffer) => {
        const frame = parseFrame(data, events);
        if (frame) report(frame, events);
      });
    }
  };
}

export const coffeeChatClientDriver: ChatDriver = {
  retriesSends: true,
  async connect(target: ConnectTarget, events: ConnectionEvents): Promise<ChatConnection> {
    const gateways = [target.url, ...(target.failoverUrls ?? []).filter((u) => u !== target.url)];
    const client = new CoffeeChatClient({
      url: target.url,
      token: target.token,
      WebSocket: tappedWebSocket(events, gateways),
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        client.connect(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no hello in ${CONNECT_TIMEOUT_MS} ms`)), CONNECT_TIMEOUT_MS);
        }),
      ]);
    } catch (err) {
      client.close();
      throw err;
    } finally {
      clearTimeout(timer);
    }
    // every failed reconnect attempt is a 'disconnected' too: count only the ends of open connections
    let open = true;
    client.on('disconnected', () => {
      if (open) events.onClose();
      open = false;
    });
    client.on('hello', () => {
      if (!open) events.onReopen();
      open = true;
    });
    return new ClientConnection(client);
  },
};
