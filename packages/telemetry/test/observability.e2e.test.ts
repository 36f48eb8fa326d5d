/**
 * Observability end to end: the four services run as processes exporting spans to an OTLP/HTTP receiver
 * started here. One chat message from alice (gateway A) to bob (gateway B) must be one trace with the
 * right parent links across gateway → router → MongoDB → gateways (and the feed's event consumer); and
 * after that traffic every service's /metrics must show its documented families moving, with no label
 * carrying an id.
 */
import { topology } from '@coffeechat/contracts';
import {
  connectRecording,
  freePort,
  idLabels,
  type OtlpReceiver,
  type ReceivedSpan,
  removeStackNamespace,
  type Sample,
  type ServiceProcess,
  sampleSum,
  scrapeMetrics,
  servers,
  serviceEnv,
  startOtlpReceiver,
  startService,
  tokenFor,
  uniqueNamespace,
} from '@coffeechat/testkit';
import amqp from 'amqplib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type WebSocket from 'ws';

const ns = uniqueNamespace('obs');
const t = topology(ns);
const PARTITIONS = 2;
const BODY = 'hello bob, this line is private';
const users = { alice: `alice-${ns}`, bob: `bob-${ns}` };

let receiver: OtlpReceiver;
const procs: Record<string, ServiceProcess> = {};
const sockets: WebSocket[] = [];
let roomId = '';
let postId = '';

/** A recording client on `gateway`; closed after the suite. */
async function connect(gateway: ServiceProcess, userId: string) {
  const client = await connectRecording(gateway.port, userId);
  sockets.push(client.ws);
  return client;
}

async function http(port: number, method: string, path: string, userId: string, body?: unknown, admin = false) {
  const res = await fetch(`http://127.0.0.1:${port}${path}`, {
    method,
    headers: { authorization: `Bearer ${await tokenFor(userId, { admin })}`, 'content-type': 'application/json' },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  if (res.status >= 300) throw new Error(`${method} ${path} → ${res.status} ${await res.text()}`);
  return res.status === 204 ? undefined : ((await res.json()) as Record<string, unknown>);
}

beforeAll(async () => {
  receiver = await startOtlpReceiver();
  const env = {
    ...serviceEnv(ns),
    ROUTER_PARTITIONS: String(PARTITIONS),
    ...receiver.env,
  };
  const start = async (name: 'gateway' | 'message-router' | 'presence' | 'feed', key: string = name) => {
    procs[key] = await startService(name, await freePort(), env, { readyTimeoutMs: 60_000 });
  };
  await start('message-router');
  await Promise.all([start('gateway', 'gatewayA'), start('gateway', 'gatewayB'), start('presence'), start('feed')]);

  const room = await http(
    procs['message-router']!.port,
    'POST',
    '/rooms',
    'ops',
    { memberIds: [users.alice, users.bob] },
    true,
  );
  roomId = String(room?.roomId);
  const alice = await connect(procs.gatewayA!, users.alice);
  const bob = await connect(procs.gatewayB!, users.bob);
  alice.send({ type: 'join', roomId });
  bob.send({ type: 'join', roomId });
  await Promise.all([alice.until((f) => f.type === 'joined'), bob.until((f) => f.type === 'joined')]);

  // the chat message, and an error (a send to a room alice has not joined)
  alice.send({ type: 'send', roomId, clientMsgId: 'm-1', body: BODY });
  alice.send({ type: 'send', roomId: 'not-joined', clientMsgId: 'm-2', body: 'x' });
  await Promise.all([
    alice.until((f) => f.type === 'ack' && f.clientMsgId === 'm-1'),
    alice.until((f) => f.type === 'error' && f.code === 'NOT_JOINED'),
    bob.until((f) => f.type === 'message' && f.clientMsgId === 'm-1'),
  ]);

  // a poison message on a partition (dead-lettered by the router)
  const connection = await amqp.connect(servers.amqpUrl);
  try {
    const ch = await connection.createConfirmChannel();
    ch.publish(t.inboundExchange, t.partitionKey(0), Buffer.from('{"kind":"nonsense"}'), { persistent: true });
    await ch.waitForConfirms();
  } finally {
    await connection.close();
  }

  // a post (cached when written: reads hit) and the feed page read twice (a miss, then a hit)
  const post = await http(procs.feed!.port, 'POST', '/posts', users.alice, {
    title: 'Coffee?',
    body: 'Chat about tracing',
    tags: [],
  });
  postId = String(post?.postId);
  await http(procs.feed!.port, 'GET', `/posts/${postId}`, users.bob);
  await http(procs.feed!.port, 'GET', '/feed?limit=10', users.bob);
  await http(procs.feed!.port, 'GET', '/feed?limit=10', users.bob);
}, 180_000);

afterAll(async () => {
  for (const ws of sockets) ws.terminate();
  await Promise.all(Object.values(procs).map((p) => p.stop()));
  await receiver?.close();
  await removeStackNamespace(ns, PARTITIONS);
}, 60_000);

const pidOf = (s: ReceivedSpan) => s.resource['process.pid'];

describe('one chat message is one trace', () => {
  it('links gateway A → router → MongoDB → gateways A and B, and the feed, by parent', async () => {
    const gwA = procs.gatewayA!.child.pid;
    const gwB = procs.gatewayB!.child.pid;
    const isRoot = (s: ReceivedSpan) => s.name === 'ws send' && s.attributes['coffeechat.client_msg_id'] === 'm-1';
    const spans = await receiver.waitFor((all) => {
      const root = all.find(isRoot);
      if (!root) return false;
      const trace = all.filter((s) => s.traceId === root.traceId);
      // the last hops: delivery on gateways A (which acks from it) and B, the feed's event
      return (
        trace.some((s) => s.name === `${t.deliveryExchange} process` && pidOf(s) === gwB) &&
        trace.some((s) => s.name === `${t.deliveryExchange} process` && pidOf(s) === gwA) &&
        trace.some((s) => s.name === `${t.eventsExchange} process` && s.service === 'feed')
      );
    }, 30_000);
    const root = spans.find(isRoot)!;
    const trace = spans.filter((s) => s.traceId === root.traceId);
    const one = (what: string, match: (s: ReceivedSpan) => boolean) => {
      const found = trace.filter(match);
      expect(found, `${what} in\n${trace.map((s) => `${s.service} ${s.name}`).join('\n')}`).toHaveLength(1);
      return found[0]!;
    };
    const childOf = (span: ReceivedSpan, parent: ReceivedSpan) => expect(span.parentSpanId).toBe(parent.spanId);

    // gateway A: the frame is the root; its publish into the partition is its child
    expect(root).toMatchObject({ service: 'gateway', kind: 'SERVER' });
    expect(root.parentSpanId).toBeUndefined();
    expect(pidOf(root)).toBe(gwA);
    const inboundPublish = one('inbound publish', (s) => s.name === `${t.inboundExchange} publish`);
    expect(inboundPublish).toMatchObject({ service: 'gateway', kind: 'PRODUCER' });
    childOf(inboundPublish, root);

    // router: consumes it, stores it (the insert under the batch), publishes the frame and the event
    const process = one('router process', (s) => s.name === `${t.inboundExchange} process`);
    expect(process).toMatchObject({ service: 'message-router', kind: 'CONSUMER' });
    childOf(process, inboundPublish);
    const batch = one('store batch', (s) => s.name === 'store batch');
    childOf(batch, process);
    const insert = one('insert', (s) => s.name.startsWith('insert'));
    expect(insert).toMatchObject({ name: 'insert messages', service: 'message-router', kind: 'CLIENT' });
    expect(insert.attributes).toMatchObject({
      'db.system.name': 'mongodb',
      'db.collection.name': 'messages',
      'db.operation.name': 'insert',
    });
    childOf(insert, batch);
    const deliveryPublish = one('delivery publish', (s) => s.name === `${t.deliveryExchange} publish`);
    const eventPublish = one('event publish', (s) => s.name === `${t.eventsExchange} publish`);
    // the ack rides on the frame: nothing is published to the sender's connection
    expect(trace.filter((s) => s.name === 'amq.default publish' && s.service === 'message-router')).toEqual([]);
    for (const p of [deliveryPublish, eventPublish]) {
      expect(p).toMatchObject({ service: 'message-router', kind: 'PRODUCER' });
      childOf(p, process);
    }

    // gateways: B delivers the message to bob, A delivers it to alice and acks her send from it
    const deliveries = trace.filter((s) => s.name === `${t.deliveryExchange} process`);
    expect(deliveries.map(pidOf).sort()).toEqual([gwA, gwB].sort());
    for (const d of deliveries) {
      expect(d).toMatchObject({ service: 'gateway', kind: 'CONSUMER' });
      childOf(d, deliveryPublish);
    }

    // feed: counts the chat activity in the same trace
    const feed = one('feed process', (s) => s.name === `${t.eventsExchange} process`);
    expect(feed).toMatchObject({ service: 'feed', kind: 'CONSUMER' });
    childOf(feed, eventPublish);

    // messaging conventions, and neither the body nor a token anywhere in the spans
    expect(inboundPublish.attributes).toMatchObject({
      'messaging.system': 'rabbitmq',
      'messaging.destination.name': t.inboundExchange,
      'messaging.operation.type': 'send',
    });
    expect(deliveries[0]!.attributes).toMatchObject({
      'messaging.destination.name': t.deliveryExchange,
      'messaging.rabbitmq.destination.routing_key': t.roomKey(roomId),
      'messaging.operation.type': 'process',
    });
    const everything = JSON.stringify(spans.map((s) => [s.name, s.attributes]));
    expect(everything).not.toContain('this line is private');
    expect(everything).not.toContain('eyJ'); // a JWT's header
  });
});

describe('metrics after traffic', () => {
  const scrape = (key: string) => scrapeMetrics(procs[key]!.port);
  const families = (samples: Sample[]) => new Set(samples.map((s) => s.name.replace(/_(bucket|count|sum)$/, '')));
  const knownIds = () => [users.alice, users.bob, roomId, postId, 'm-1'];

  it('every service serves the Node runtime families and its readiness', async () => {
    for (const key of ['gatewayA', 'message-router', 'presence', 'feed']) {
      const samples = await scrape(key);
      const names = families(samples);
      for (const family of ['nodejs_eventloop_lag_p99_seconds', 'nodejs_heap_size_used_bytes']) {
        expect(names.has(family), `${key}: ${family}`).toBe(true);
      }
      // declared from the start; it has samples only once the process collected garbage of some kind,
      // which a lightly used service may not have done yet
      const text = await (await fetch(`http://127.0.0.1:${procs[key]!.port}/metrics`)).text();
      expect(text, `${key}: nodejs_gc_duration_seconds`).toContain('# TYPE nodejs_gc_duration_seconds histogram');
      expect(sampleSum(samples, 'coffeechat_ready'), `${key} ready`).toBe(1);
    }
  });

  it('the gateways count connections, frames by type, errors by code, send→ack, send→deliver and the delivery hop', async () => {
    const a = await scrape('gatewayA');
    const b = await scrape('gatewayB');
    expect(sampleSum(a, 'coffeechat_gateway_connections')).toBe(1);
    expect(sampleSum(b, 'coffeechat_gateway_connections')).toBe(1);
    expect(sampleSum(a, 'coffeechat_gateway_frames_in_total', { type: 'send' })).toBe(2);
    expect(sampleSum(a, 'coffeechat_gateway_frames_in_total', { type: 'join' })).toBe(1);
    expect(sampleSum(a, 'coffeechat_gateway_frames_out_total', { type: 'ack' })).toBe(1);
    expect(sampleSum(b, 'coffeechat_gateway_frames_out_total', { type: 'message' })).toBe(1);
    expect(sampleSum(a, 'coffeechat_gateway_errors_total', { code: 'NOT_JOINED' })).toBe(1);
    expect(sampleSum(a, 'coffeechat_gateway_send_ack_seconds_count')).toBe(1);
    expect(sampleSum(b, 'coffeechat_gateway_send_deliver_seconds_count')).toBe(1);
    expect(sampleSum(b, 'coffeechat_hop_latency_seconds_count', { hop: 'delivery' })).toBe(1);
  });

  it('the router counts the inbound hop, batch sizes, stored messages, partition backlog, redeliveries and dead letters', async () => {
    await expect
      .poll(
        async () =>
          sampleSum(await scrape('message-router'), 'coffeechat_router_dead_letters_total', { reason: 'invalid' }),
        {
          timeout: 15_000,
        },
      )
      .toBe(1);
    const r = await scrape('message-router');
    expect(sampleSum(r, 'coffeechat_hop_latency_seconds_count', { hop: 'inbound_queue' })).toBeGreaterThanOrEqual(1);
    expect(sampleSum(r, 'coffeechat_router_batch_size_count')).toBeGreaterThanOrEqual(2);
    expect(sampleSum(r, 'coffeechat_router_messages_stored_total')).toBe(1);
    expect(sampleSum(r, 'coffeechat_router_redeliveries_total')).toBe(0);
    // the backlog gauge is polled; every partition gets a series
    await expect
      .poll(
        async () =>
          (await scrape('message-router')).filter((s) => s.name === 'coffeechat_router_partition_backlog').length,
        {
          timeout: 15_000,
        },
      )
      .toBe(PARTITIONS);
  });

  it('presence counts online users; the feed counts cache misses and hits', async () => {
    // alice and bob, reported by their gateways
    await expect
      .poll(async () => sampleSum(await scrape('presence'), 'coffeechat_presence_online_users'), { timeout: 15_000 })
      .toBe(2);
    const f = await scrape('feed');
    expect(sampleSum(f, 'coffeechat_feed_cache_misses_total')).toBeGreaterThanOrEqual(1);
    expect(sampleSum(f, 'coffeechat_feed_cache_hits_total')).toBeGreaterThanOrEqual(1);
    await expect
      .poll(async () => sampleSum(await scrape('feed'), 'coffeechat_feed_events_total', { event: 'message.stored' }), {
        timeout: 15_000,
      })
      .toBeGreaterThanOrEqual(1);
  });

  it('no label of any service carries an id', async () => {
    for (const key of ['gatewayA', 'gatewayB', 'message-router', 'presence', 'feed']) {
      expect(idLabels(await scrape(key), knownIds()), key).toEqual([]);
    }
  });

  it('the dashboard and the alert rules only use families the services serve', async () => {
    const { readFileSync } = await import('node:fs');
    const deploy = new URL('../../../deploy/', import.meta.url);
    const referenced = new Set(
      [
        readFileSync(new URL('grafana/dashboards/coffeechat.json', deploy), 'utf8'),
        readFileSync(new URL('prometheus/alerts.yml', deploy), 'utf8'),
      ].flatMap((text) =>
        [...text.matchAll(/\b(coffeechat_[a-z0-9_]+?)(?:_bucket|_count|_sum)?\b/g)].map((m) => m[1]!),
      ),
    );
    const served = new Set<string>();
    for (const key of ['gatewayA', 'message-router', 'presence', 'feed']) {
      const text = await (await fetch(`http://127.0.0.1:${procs[key]!.port}/metrics`)).text();
      for (const m of text.matchAll(/^# TYPE (\S+)/gm)) served.add(m[1]!);
    }
    expect([...referenced].filter((name) => !served.has(name))).toEqual([]);
  });
});
