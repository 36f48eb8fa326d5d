/**
 * Join requests on `<ns>.rpc.router` (competing consumers across routers): gateways ask here whether a
 * user may join a room and for the messages to replay. The request/reply plumbing is service-kit's.
 */
import { type JoinReply, JoinRequest, type Topology, validator } from '@coffeechat/contracts';
import { type Broker, type Logger, RpcServer } from '@coffeechat/service-kit';
import type { RouterMetrics } from '../metrics.js';

export function joinServer(options: {
  broker: Broker;
  topology: Topology;
  answer: (request: JoinRequest) => Promise<JoinReply>;
  metrics: RouterMetrics;
  logger: Logger;
}): RpcServer<JoinRequest, JoinReply> {
  const { broker, topology, answer, metrics, logger } = options;
  return new RpcServer<JoinRequest, JoinReply>({
    broker,
    logger,
    name: 'rpc',
    queue: topology.routerRpcQueue,
    prefetch: 32,
    deadLetterExchange: topology.exchanges.deadLetter,
    request: validator(JoinRequest),
    answer,
    badRequest: (reason) => ({ ok: false, code: 'BAD_REQUEST', message: reason }),
    failed: () => ({ ok: false, code: 'UNAVAILABLE', message: 'chat store unavailable; try again' }),
    observe: (outcome) => {
      if (outcome.kind === 'answered') metrics.rpc.inc({ outcome: outcome.reply.ok ? 'ok' : outcome.reply.code });
      else if (outcome.kind === 'failed') metrics.rpc.inc({ outcome: 'UNAVAILABLE' });
      else {
        metrics.rpc.inc({ outcome: 'invalid' });
        metrics.deadLetters.inc({ reason: 'invalid_request' });
      }
    },
  });
}
