/**
 * The Socket.IO peer's protocol (loadtest/peers/socketio-server.ts): `join` and `send` events with
 * acknowledgements, `message` events to the room. WebSocket transport only, no reconnection, so the
 * comparison with the SPEC drivers is like for like.
 */
import { io, type Socket } from 'socket.io-client';
import {
  type ChatConnection,
  type ChatDriver,
  CONNECT_TIMEOUT_MS,
  type ConnectionEvents,
  type ConnectTarget,
  JOIN_TIMEOUT_MS,
} from '../driver.js';

interface PeerMessage {
  roomId: string;
  clientMsgId: string;
  seq?: number;
}

class SocketIoConnection implements ChatConnection {
  constructor(
    private readonly socket: Socket,
    private readonly events: ConnectionEvents,
  ) {}

  get isOpen(): boolean {
    return this.socket.connected;
  }

  async join(roomId: string): Promise<void> {
    const reply = (await this.socket.timeout(JOIN_TIMEOUT_MS).emitWithAck('join', { roomId })) as { ok?: boolean };
    if (!reply?.ok) throw new Error(`join ${roomId} refused`);
  }

  send(roomId: string, clientMsgId: string, body: string): void {
    this.socket.emit('send', { roomId, clientMsgId, body }, () => this.events.onAck(roomId, clientMsgId));
  }

  close(): void {
    this.socket.disconnect();
  }
}

export const socketIoDriver: ChatDriver = {
  retriesSends: false,
  connect(target: ConnectTarget, events: ConnectionEvents): Promise<ChatConnection> {
    return new Promise((resolve, reject) => {
      const socket = io(target.url, {
        transports: ['websocket'],
        reconnection: false,
        forceNew: true,
        timeout: CONNECT_TIMEOUT_MS,
        auth: { token: target.token },
      });
      socket.once('connect', () => {
        socket.on('disconnect', () => events.onClose());
        resolve(new SocketIoConnection(socket, events));
      });
      socket.once('connect_error', (err) => {
        socket.close();
        reject(err);
      });
      socket.on('message', (m: PeerMessage) => events.onMessage(m.roomId, m.clientMsgId, m.seq));
    });
  },
};
