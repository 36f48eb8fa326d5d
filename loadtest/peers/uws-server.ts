/**
 * Peer (b): a bare uWebSockets.js pub/sub chat server, the ceiling of this machine without a
 * broker or a store. It speaks the subset of SPEC §4 the generator uses (hello, join/joined,
 * send/ack, message with a per-room seq kept in memory), so the same driver measures it. No
 * persistence, no authentication (the token's `sub` is read, not verified), one process.
 *
 * Settings: PEER_PORT.
 */
import uWS from 'uWebSockets.js';

interface Frame {
  type?: string;
  id?: string;
  roomId?: string;
  clientMsgId?: string;
  body?: string;
}

interface Conn {
  userId: string;
  connId: string;
}

const port = Number(process.env.PEER_PORT ?? '9001');
const seqs = new Map<string, number>();
const decoder = new TextDecoder();
let nextConn = 0;

/** The JWT's subject, unverified: this peer measures fan-out, not authentication. */
function subjectOf(token: string): string {
  try {
    const payload = JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString()) as { sub?: string };
    return payload.sub ?? 'anonymous';
  } catch {
    return 'anonymous';
  }
}

const app = uWS.App();
app.ws<Conn>('/ws', {
  compression: uWS.DISABLED,
  maxPayloadLength: 64 * 1024,
  idleTimeout: 120,
  maxBackpressure: 1024 * 1024,
  upgrade: (res, req, context) => {
    const token = new URLSearchParams(req.getQuery() ?? '').get('token') ?? '';
    res.upgrade<Conn>(
      { userId: subjectOf(token), connId: `c${nextConn++}` },
      req.getHeader('sec-websocket-key'),
      req.getHeader('sec-websocket-protocol'),
      req.getHeader('sec-websocket-extensions'),
      context,
    );
  },
  open: (ws) => {
    const { userId, connId } = ws.getUserData();
    ws.send(JSON.stringify({ type: 'hello', userId, connId, heartbeatSec: 30 }));
  },
  message: (ws, message) => {
    let f: Frame;
    try {
      f = JSON.parse(decoder.decode(message)) as Frame;
    } catch {
      ws.send('{"type":"error","code":"BAD_REQUEST","message":"not JSON"}');
      return;
    }
    const roomId = f.roomId ?? '';
    if (f.type === 'join') {
      ws.subscribe(`room/${roomId}`);
      ws.send(
        JSON.stringify({
          type: 'joined',
          id: f.id,
          roomId,
          lastSeq: seqs.get(roomId) ?? 0,
          readSeq: 0,
          members: [],
          presence: {},
        }),
      );
    } else if (f.type === 'send') {
      const seq = (seqs.get(roomId) ?? 0) + 1;
      seqs.set(roomId, seq);
      const ts = Date.now();
      ws.send(JSON.stringify({ type: 'ack', roomId, clientMsgId: f.clientMsgId, seq, ts }));
      const frame = JSON.stringify({
        type: 'message',
        roomId,
        seq,
        senderId: ws.getUserData().userId,
        clientMsgId: f.clientMsgId,
        body: f.body,
        ts,
      });
      app.publish(`room/${roomId}`, frame);
    } else if (f.type === 'ping') {
      ws.send('{"type":"pong"}');
    }
  },
});
app.get('/healthz', (res) => {
  res.end('ok');
});

let listenSocket: uWS.us_listen_socket | false = false;
app.listen('127.0.0.1', port, (socket) => {
  listenSocket = socket;
  if (!socket) {
    console.error(`uws peer: cannot listen on ${port}`);
    process.exit(1);
  }
});
process.on('SIGTERM', () => {
  if (listenSocket) uWS.us_listen_socket_close(listenSocket);
  process.exit(0);
});
