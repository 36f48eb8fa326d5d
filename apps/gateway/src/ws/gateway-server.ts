/**
 * The gateway's one port, served by uWebSockets.js: `/ws` (token and open connections checked before
 * the upgrade) and `/healthz`, `/readyz`, `/metrics`. Frames go to `ChatProtocol`; this file only adapts
 * uWS to it.
 *
 * Every upgrade is decided inside uWS's upgrade handler (the token is checked synchronously), so uWS
 * corks the 101 and `hello` itself and tracks the socket it became. The asynchronous upgrade, from a
 * later callback inside `res.cork`, is what uWS's UpgradeAsync example does, but with this build it
 * now and then closed a new socket right after its 101 (uWebSockets issue 1928: `cork()` re-reads the
 * HTTP state of a socket that became a WebSocket in place; 1 socket of 200 in one run of 20 of
 * e2e/src/upgrade.e2e.test.ts), and outside `res.cork` every upgrade printed a warning (D7 in
 * docs/reliability.md). So a token whose key set is being fetched (JWKS: the first token after the
 * start, a new kid) is answered 503 with Retry-After, and the client's retry finds the key at hand.
 */

import uWS, { type HttpResponse, type TemplatedApp, type us_listen_socket } from 'uWebSockets.js';
import { randomUUID } from 'node:crypto';
import { AuthError, type Identity, type TokenVerifier } from '@coffeechat/auth';
import { type Logger, type Metrics, registerReadiness } from '@coffeechat/service-kit';
import type { TopicPublisher } from '../client-socket.js';
import type { ConnectionQuota } from '../connection-quota.js';
import { judgeUpgrade } from '../handshake.js';
import type { ChatProtocol } from '../protocol.js';
import { Session } from '../session.js';
import { UwsClientSocket } from './uws-client-socket.js';

interface SocketData {
  connId: string;
  userId: string;
  /** the client's address, as counted by the quota */
  ip: string;
  tokenExp: number;
  session?: Session;
  socket?: UwsClientSocket<SocketData>;
}

export interface GatewayServerOptions {
  port: number;
  allowedOrigins: readonly string[];
  heartbeatSec: number;
  sendBufferBytes: number;
  maxReadBytes: number;
  verifier: TokenVerifier;
  /** open WebSockets per user and address */
  quota: ConnectionQuota;
  /** open WebSockets on this gateway: past it, upgrades get 503 and /readyz is 503 */
  maxConnections: number;
  metrics: Metrics;
  /** true while the broker is reachable */
  ready: () => boolean;
  logger: Logger;
}

const STATUS: Record<number, string> = {
  200: '200 OK',
  401: '401 Unauthorized',
  403: '403 Forbidden',
  404: '404 Not Found',
  429: '429 Too Many Requests',
  503: '503 Service Unavailable',
};

function reply(
  res: HttpResponse,
  status: number,
  body: unknown,
  contentType = 'application/json',
  headers: Record<string, string> = {},
): void {
  res.writeStatus(STATUS[status] ?? `${status}`).writeHeader('content-type', contentType);
  for (const [name, value] of Object.entries(headers)) res.writeHeader(name, value);
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
}

/** A refused upgrade over the open-connections quota, or while the key set is fetched: try again soon. */
const RETRY_AFTER_SEC = '1';
const GATEWAY_FULL = 'this gateway holds all the connections it may; try again (or another gateway)';
const KEYS_PENDING = "the token's signing keys are being fetched; try again";

const problem = (code: string, message: string) => ({ error: { code, message } });

/** What an upgrade needs of its request, which uWS invalidates when the handler returns. */
interface Handshake {
  ip: string;
  key: string;
  protocol: string;
  extensions: string;
  context: uWS.us_socket_context_t;
}

export class GatewayServer {
  readonly app: TemplatedApp = uWS.App();
  private listenSocket?: us_listen_socket;
  private accepting = true;
  private open = 0;

  constructor(private readonly options: GatewayServerOptions) {
    registerReadiness(options.metrics, () => this.ready());
  }

  /** Accepting, the broker up, and room for more sockets (a load balancer sends new clients elsewhere). */
  private ready(): boolean {
    return this.accepting && this.open < this.options.maxConnections && this.options.ready();
  }

  /** Room fan-out through uWS topics, for the room hub. */
  readonly topics: TopicPublisher = {
    publish: (topic, frame) => {
      const receivers = this.app.numSubscribers(topic);
      if (receivers > 0) this.app.publish(topic, frame, false);
      return receivers;
    },
  };

  async listen(protocol: ChatProtocol): Promise<number> {
    this.routes(protocol);
    return new Promise((resolve, reject) => {
      this.app.listen('0.0.0.0', this.options.port, (socket) => {
        if (!socket) return reject(new Error(`cannot listen on port ${this.options.port}`));
        this.listenSocket = socket;
        resolve(uWS.us_socket_local_port(socket));
      });
    });
  }

  /** Stops accepting connections (the listening socket closes; /readyz would answer 503). */
  stopAccepting(): void {
    this.accepting = false;
    if (this.listenSocket) uWS.us_listen_socket_close(this.listenSocket);
    this.listenSocket = undefined;
  }

  private routes(protocol: ChatProtocol): void {
    const o = this.options;
    this.app.ws<SocketData>('/ws', {
      // Above 64 KiB the protocol closes with 1009 itself; at this bound uWS would drop the TCP connection.
      maxPayloadLength: o.maxReadBytes,
      maxBackpressure: o.sendBufferBytes,
      closeOnBackpressureLimit: 1,
      idleTimeout: o.heartbeatSec * 2,
      sendPingsAutomatically: true,
      upgrade: (res, req, context) => this.upgrade(res, req, context),
      open: (ws) => {
        this.open += 1;
        const data = ws.getUserData();
        data.socket = new UwsClientSocket(ws);
        data.session = new Session(data.connId, data.userId, data.socket, data.tokenExp);
        protocol.open(data.session);
      },
      message: (ws, message, isBinary) => {
        const { session } = ws.getUserData();
        if (session) protocol.receive(session, message, isBinary);
      },
      drain: (ws) => {
        const { session } = ws.getUserData();
        if (session) protocol.drain(session);
      },
      close: (ws) => {
        this.open -= 1;
        const data = ws.getUserData();
        if (data.socket) data.socket.closed = true;
        o.quota.release(data.userId, data.ip);
        if (data.session) protocol.closed(data.session);
      },
    });
    this.app.get('/healthz', (res) => reply(res, 200, { status: 'ok' }));
    this.app.get('/readyz', (res) => {
      const ok = this.ready();
      reply(res, ok ? 200 : 503, { status: ok ? 'ready' : 'not ready' });
    });
    this.app.get('/metrics', (res) => {
      let aborted = false;
      res.onAborted(() => {
        aborted = true;
      });
      o.metrics.registry.metrics().then(
        (text) => !aborted && res.cork(() => reply(res, 200, text, o.metrics.registry.contentType)),
        (err: unknown) => {
          o.logger.error({ err }, 'metrics failed');
          if (!aborted) res.cork(() => reply(res, 503, problem('UNAVAILABLE', 'metrics failed')));
        },
      );
    });
    this.app.any('/*', (res) => reply(res, 404, problem('NOT_FOUND', 'no such route')));
  }

  /** The token and the open-connections quota decided, then the upgrade, all in this very handler. */
  private upgrade(res: HttpResponse, req: uWS.HttpRequest, context: uWS.us_socket_context_t): void {
    if (!this.accepting) {
      reply(res, 503, problem('UNAVAILABLE', 'shutting down'));
      return;
    }
    const verdict = judgeUpgrade(
      {
        queryToken: req.getQuery('token') ?? '',
        authorization: req.getHeader('authorization'),
        origin: req.getHeader('origin'),
      },
      this.options.allowedOrigins,
    );
    if (!verdict.ok) {
      reply(res, verdict.status, problem(verdict.status === 403 ? 'FORBIDDEN' : 'UNAUTHORIZED', verdict.message));
      return;
    }
    const handshake: Handshake = {
      ip: Buffer.from(res.getRemoteAddressAsText()).toString('utf8'),
      key: req.getHeader('sec-websocket-key'),
      protocol: req.getHeader('sec-websocket-protocol'),
      extensions: req.getHeader('sec-websocket-extensions'),
      context,
    };
    let identity: Identity | undefined;
    try {
      identity = this.options.verifier.verifyNow(verdict.token);
    } catch (err) {
      this.refuse(res, err);
      return;
    }
    if (identity) {
      this.admit(res, identity, handshake);
      return;
    }
    reply(res, 503, problem('UNAVAILABLE', KEYS_PENDING), 'application/json', { 'retry-after': RETRY_AFTER_SEC });
    // the key set is being fetched: a fetch that fails is for the operator to see (the client retries)
    this.options.verifier.verify(verdict.token).catch((err: unknown) => {
      if (!(err instanceof AuthError)) this.options.logger.warn({ err }, 'the key set could not be fetched');
    });
  }

  /** Upgrades, or refuses while shutting down or over the open-connections quota. */
  private admit(res: HttpResponse, identity: Identity, h: Handshake): void {
    if (!this.accepting) {
      reply(res, 503, problem('UNAVAILABLE', 'shutting down'));
      return;
    }
    if (this.open >= this.options.maxConnections) {
      reply(res, 503, problem('UNAVAILABLE', GATEWAY_FULL), 'application/json', { 'retry-after': RETRY_AFTER_SEC });
      return;
    }
    // The place is taken here and given back by the socket's close handler.
    const admitted = this.options.quota.acquire(identity.userId, h.ip);
    if (!admitted.ok) {
      reply(res, 429, problem('RATE_LIMITED', admitted.message), 'application/json', {
        'retry-after': RETRY_AFTER_SEC,
      });
      return;
    }
    const data: SocketData = { connId: randomUUID(), userId: identity.userId, ip: h.ip, tokenExp: identity.exp };
    res.upgrade(data, h.key, h.protocol, h.extensions, h.context);
  }

  private refuse(res: HttpResponse, err: unknown): void {
    if (!(err instanceof AuthError)) this.options.logger.error({ err }, 'token verification failed');
    const message = err instanceof AuthError ? err.message : 'cannot verify the token';
    reply(res, 401, problem('UNAUTHORIZED', message));
  }
}
