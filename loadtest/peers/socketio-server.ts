/**
 * Peer (a): the chat server a team would otherwise write, Socket.IO with the Redis adapter so two
 * nodes share rooms, and no persistence. `join` and `send` are events with acknowledgements; the
 * ack goes back as soon as the node has the message, and the message goes to the room (sender
 * included) through the adapter. No authentication (the token's `sub` is read, not verified).
 *
 * Settings: PEER_PORT, REDIS_URL, PEER_KEY (the adapter's channel prefix, one per run).
 */
import { createServer } from 'node:http';
import { createAdapter } from '@socket.io/redis-adapter';
import { Redis } from 'ioredis';
import { Server } from 'socket.io';

interface SendEvent {
  roomId: string;
  clientMsgId: string;
  body: string;
}

const config = {
  port: Number(process.env.PEER_PORT ?? '9002'),
  redisUrl: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379',
  key: process.env.PEER_KEY ?? 'socket.io',
};

function subjectOf(token: unknown): string {
  try {
    const payload = JSON.parse(Buffer.from(String(token).split('.')[1] ?? '', 'base64url').toString()) as {
      sub?: string;
    };
    return payload.sub ?? 'anonymous';
  } catch {
    return 'anonymous';
  }
}

const pub = new Redis(config.redisUrl);
const sub = pub.duplicate();
let ready = false;

const http = createServer((req, res) => {
  if (req.url === '/healthz') {
    res.writeHead(ready ? 200 : 503).end(ready ? 'ok' : 'starting');
    return;
  }
  // everything under /socket.io/ is answered by Socket.IO itself
  if (!req.url?.startsWith('/socket.io/')) res.writeHead(404).end();
});

const io = new Server(http, {
  transports: ['websocket'],
  serveClient: false,
  adapter: createAdapter(pub, sub, { key: config.key }),
});

io.on('connection', (socket) => {
  const userId = subjectOf(socket.handshake.auth.token);
  socket.on('join', ({ roomId }: { roomId: string }, ack: (r: { ok: boolean }) => void) => {
    void socket.join(roomId);
    ack({ ok: true });
  });
  socket.on('send', (m: SendEvent, ack: (r: { ts: number }) => void) => {
    const ts = Date.now();
    ack({ ts });
    io.to(m.roomId).emit('message', {
      roomId: m.roomId,
      senderId: userId,
      clientMsgId: m.clientMsgId,
      body: m.body,
      ts,
    });
  });
});

Promise.all([
  new Promise<void>((r) => (pub.status === 'ready' ? r() : pub.once('ready', () => r()))),
  new Promise<void>((r) => (sub.status === 'ready' ? r() : sub.once('ready', () => r()))),
]).then(() => {
  http.listen(config.port, '127.0.0.1', () => {
    ready = true;
  });
});

process.on('SIGTERM', () => {
  void io.close();
  pub.disconnect();
  sub.disconnect();
  process.exit(0);
});
