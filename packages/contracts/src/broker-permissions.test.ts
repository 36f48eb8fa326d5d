/**
 * Each service's RabbitMQ permissions (least privilege): what it must be allowed to do with the names of
 * its topology, and what it must not do with another service's. The live check (each service running as
 * its own user) is e2e/src/broker-users.e2e.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { topology } from './broker.js';
import { type BrokerPermissions, type BrokerService, brokerPermissions } from './broker-permissions.js';
import { feedTopology } from './feed.js';
import { presenceTopology } from './presence.js';

const ns = 'cc';
const p = brokerPermissions(ns);
const t = topology(ns);
const pr = presenceTopology(ns);
const f = feedTopology(ns);
const may = (service: BrokerService, op: keyof BrokerPermissions, name: string) =>
  new RegExp(p[service][op]).test(name);

describe('brokerPermissions', () => {
  it('lets the gateway publish sends and typing, bind its own queue, and nothing of the others', () => {
    for (const x of [t.inboundExchange, t.deliveryExchange, pr.inputExchange, 'amq.default'])
      expect(may('gateway', 'write', x), x).toBe(true);
    expect(may('gateway', 'configure', t.gatewayQueue('gw-1a2b'))).toBe(true);
    expect(may('gateway', 'read', t.gatewayQueue('gw-1a2b'))).toBe(true);
    expect(may('gateway', 'configure', `${t.gatewayQueue('gw-1a2b')}.presence`)).toBe(true);
    for (const x of [t.deliveryExchange, t.eventsExchange, pr.changesExchange])
      expect(may('gateway', 'read', x), x).toBe(true);
    // forging membership events, consuming a partition or the dead letters, reading presence input
    expect(may('gateway', 'write', t.eventsExchange)).toBe(false);
    expect(may('gateway', 'write', pr.changesExchange)).toBe(false);
    for (const q of [t.inboundQueue(0), t.deadQueue, t.routerRpcQueue, pr.inputQueue, f.eventsQueue])
      expect(may('gateway', 'read', q), q).toBe(false);
    expect(may('gateway', 'configure', t.inboundQueue(3))).toBe(false);
  });

  it('lets the router own its partitions, dead letters and requests, and publish frames and events', () => {
    for (const q of [t.inboundQueue(0), t.inboundQueue(15), t.deadQueue, t.routerRpcQueue, t.routerEventsQueue('ab12')])
      expect([may('message-router', 'configure', q), may('message-router', 'read', q)], q).toEqual([true, true]);
    for (const x of [t.deliveryExchange, t.eventsExchange, t.deadLetterExchange, 'amq.default'])
      expect(may('message-router', 'write', x), x).toBe(true);
    expect(may('message-router', 'read', t.gatewayQueue('gw-1'))).toBe(false);
    expect(may('message-router', 'read', pr.inputQueue)).toBe(false);
    expect(may('message-router', 'write', pr.changesExchange)).toBe(false);
  });

  it('keeps presence and the feed to their own names', () => {
    expect(may('presence', 'read', pr.inputQueue)).toBe(true);
    expect(may('presence', 'write', pr.changesExchange)).toBe(true);
    expect(may('presence', 'read', t.inboundQueue(0))).toBe(false);
    expect(may('presence', 'write', t.eventsExchange)).toBe(false);
    expect(may('feed', 'read', f.eventsQueue)).toBe(true);
    expect(may('feed', 'read', t.eventsExchange)).toBe(true);
    for (const x of [t.eventsExchange, t.deliveryExchange, 'amq.default'])
      expect(may('feed', 'write', x), x).toBe(false);
  });

  it('never reaches another namespace (other stacks and test runs on the same broker)', () => {
    for (const service of ['gateway', 'message-router', 'presence', 'feed'] as const) {
      for (const op of ['configure', 'write', 'read'] as const) {
        expect(new RegExp(p[service][op]).test('ccx.inbound'), `${service} ${op}`).toBe(false);
        expect(new RegExp(p[service][op]).test('other.events'), `${service} ${op}`).toBe(false);
      }
    }
  });
});
