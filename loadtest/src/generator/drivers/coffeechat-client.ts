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
} from '../driver.js';
import { parseFrame, report } from './wire-tap.js';

class ClientConnection implements ChatConnection {
  constructor(private readonly client: CoffeeChatClient) {}

  get isOpen(): boolean {
    return this.client.state === 'open';
  }

  async join(roomId: string): Promise<void> {
    await this.client.join(roomId);
  }

  send(roomId: string, clientMsgId: string, body: string): void {
    // the ack is read off the wire by the tap; a send the SDK gives up on stays unacked in the ledger
    this.client.send(roomId, body, { clientMsgId }).catch(() => undefined);
  }

  close(): void {
    this.client.close();
  }
}

/** A `ws` WebSocket whose incoming frames pass through `tap` before the SDK's handler. */
function tappedWebSocket(events: ConnectionEvents) {
  return class TappedWebSocket extends WebSocket {
    constructor(url: string) {
      super(url, { perMessageDeflate: false, handshakeTimeout: CONNECT_TIMEOUT_MS });
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
    const client = new CoffeeChatClient({ url: target.url, token: target.token, WebSocket: tappedWebSocket(events) });
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
    client.on('disconnected', () => events.onClose());
    client.on('hello', () => events.onReopen());
    return new ClientConnection(client);
  },
};
