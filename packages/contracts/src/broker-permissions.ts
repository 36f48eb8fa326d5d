/**
 * Least privilege on the broker: one RabbitMQ user per service, allowed only the exchanges and queues of
 * its own part of the topology (the names above, in this package). RabbitMQ checks three regular
 * expressions per user and vhost: `configure` (declare, delete), `write` (publish to an exchange, bind a
 * queue), `read` (consume or get from a queue, bind from an exchange). Passive declares need none.
 *
 * The default exchange (`amq.default`) carries the request/reply traffic (requests to `<ns>.rpc.*`,
 * replies and per-connection errors to the asker's queue); RabbitMQ checks only `amq.default` there, not
 * the queue a message is routed to, so a service with it can reach any queue by name. Every consumer
 * validates what it receives (docs/security.md says what is and is not closed by this).
 */

import { topology } from './broker.js';
import { feedTopology } from './feed.js';
import { presenceTopology } from './presence.js';

export type BrokerService = 'gateway' | 'message-router' | 'presence' | 'feed';

export interface BrokerPermissions {
  configure: string;
  write: string;
  read: string;
}

export const BROKER_SERVICES: readonly BrokerService[] = ['gateway', 'message-router', 'presence', 'feed'];

const DEFAULT_EXCHANGE = 'amq.default';
const escapeRegExp = (name: string) => name.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
/** A name with one variable part (a gateway id, a router id), as a pattern. */
const VARIABLE = '\u0000';
const family = (name: string) => escapeRegExp(name).replace(VARIABLE, '[^.]+');
/** One anchored alternation of exact names and families (a name listed twice, once). */
const oneOf = (...patterns: string[]) => `^(${[...new Set(patterns)].join('|')})$`;

/** The RabbitMQ user of a service in a namespace, e.g. `coffeechat-gateway`. */
export const brokerUser = (namespace: string, service: BrokerService) => `${namespace}-${service}`;

/**
 * How the generated permission files (deploy/rabbitmq, the Helm chart) name the namespace; whoever creates
 * the users replaces it (namespaces are lower-case, so it matches nothing else).
 */
export const NAMESPACE_PLACEHOLDER = 'NAMESPACE';

/** Each service's user and permission patterns, for the files the local scripts, compose and the chart read. */
export function brokerUsersDocument(): Record<string, unknown> {
  const permissions = brokerPermissions(NAMESPACE_PLACEHOLDER);
  return {
    description: `one RabbitMQ user per service and its permissions; replace ${NAMESPACE_PLACEHOLDER} with CC_NAMESPACE`,
    placeholder: NAMESPACE_PLACEHOLDER,
    users: Object.fromEntries(
      BROKER_SERVICES.map((service) => [
        service,
        { user: brokerUser(NAMESPACE_PLACEHOLDER, service), ...permissions[service] },
      ]),
    ),
  };
}

/** Each service's permission patterns on its vhost, from the topology names of `namespace`. */
export function brokerPermissions(namespace: string): Record<BrokerService, BrokerPermissions> {
  const chat = topology(namespace);
  const presence = presenceTopology(namespace);
  const feed = feedTopology(namespace);
  const n = escapeRegExp;
  const inboundQueues = escapeRegExp(chat.inboundQueue(0)).replace(/0$/, '[0-9]+');
  // a gateway's own queue and the ones it names after it (`<ns>.gw.<id>.presence`)
  const gatewayQueues = `${family(chat.gatewayQueue(VARIABLE))}(\\.[^.]+)*`;
  const routerEventQueues = family(chat.routerEventsQueue(VARIABLE));

  // the gateway: publishes sends and reads (inbound), typing (delivery) and presence input; binds its own
  // queue to rooms (delivery), membership events and watched users' presence; asks routers and presence
  const gatewayExchanges = [chat.inboundExchange, chat.deliveryExchange, chat.eventsExchange];
  const gateway: BrokerPermissions = {
    configure: oneOf(...gatewayExchanges.map(n), n(presence.inputExchange), n(presence.changesExchange), gatewayQueues),
    write: oneOf(
      n(DEFAULT_EXCHANGE),
      n(chat.inboundExchange),
      n(chat.deliveryExchange),
      n(presence.inputExchange),
      gatewayQueues,
    ),
    read: oneOf(n(chat.deliveryExchange), n(chat.eventsExchange), n(presence.changesExchange), gatewayQueues),
  };

  // the router: owns the partitions, the dead letters and the join requests; publishes room frames and
  // events; answers on the default exchange; its own queue of membership events
  const routerOwn = [
    n(chat.inboundExchange),
    inboundQueues,
    n(chat.deadLetterExchange),
    n(chat.deadQueue),
    n(chat.routerRpcQueue),
    routerEventQueues,
  ];
  const router: BrokerPermissions = {
    configure: oneOf(...routerOwn, n(chat.deliveryExchange), n(chat.eventsExchange)),
    write: oneOf(n(DEFAULT_EXCHANGE), ...routerOwn, n(chat.deliveryExchange), n(chat.eventsExchange)),
    read: oneOf(...routerOwn, n(chat.eventsExchange)),
  };

  // presence: its input, dead letters, change exchange and query queue; answers on the default exchange
  const presenceOwn = [
    n(presence.inputExchange),
    n(presence.inputQueue),
    n(presence.deadLetterExchange),
    n(presence.deadQueue),
    n(presence.rpcQueue),
  ];
  const presenceUser: BrokerPermissions = {
    configure: oneOf(...presenceOwn, n(presence.changesExchange)),
    write: oneOf(n(DEFAULT_EXCHANGE), ...presenceOwn, n(presence.changesExchange)),
    read: oneOf(...presenceOwn),
  };

  // the feed: its events queue bound to the events exchange, and its dead letters; publishes nothing else
  const feedOwn = [n(feed.eventsQueue), n(feed.deadLetterExchange), n(feed.deadQueue)];
  const feedUser: BrokerPermissions = {
    configure: oneOf(...feedOwn, n(chat.eventsExchange)),
    write: oneOf(...feedOwn),
    read: oneOf(...feedOwn, n(chat.eventsExchange)),
  };

  return { gateway, 'message-router': router, presence: presenceUser, feed: feedUser };
}
