/**
 * Answers "current presence of these users" for gateways (they fill `joined.presence` with it):
 * competing consumers on `<ns>.rpc.presence`. The request/reply plumbing is service-kit's.
 */
import {
  type PresenceQueryReply,
  PresenceQueryRequest,
  type PresenceTopology,
  type VersionedPresence,
  validator,
} from '@coffeechat/contracts';
import { type Broker, type Logger, RpcServer } from '@coffeechat/service-kit';

export interface QueryServerOptions {
  broker: Broker;
  names: PresenceTopology;
  logger: Logger;
  read: (userIds: readonly string[]) => Promise<Map<string, VersionedPresence>>;
  onMalformed: () => void;
  onAnswered: () => void;
}

export function queryServer(options: QueryServerOptions): RpcServer<PresenceQueryRequest, PresenceQueryReply> {
  const { broker, names, logger, read, onMalformed, onAnswered } = options;
  return new RpcServer<PresenceQueryRequest, PresenceQueryReply>({
    broker,
    logger,
    name: 'presence-rpc',
    queue: names.rpcQueue,
    prefetch: 16,
    deadLetterExchange: names.exchanges.deadLetter,
    request: validator(PresenceQueryRequest),
    answer: async (request) => ({ ok: true, users: Object.fromEntries(await read(request.userIds)) }),
    badRequest: (reason) => ({ ok: false, message: reason }),
    failed: () => ({ ok: false, message: 'presence store unavailable' }),
    observe: (outcome) => {
      if (outcome.kind === 'bad_request') onMalformed();
      if (outcome.kind === 'answered') onAnswered();
    },
  });
}
