#!/usr/bin/env node
/**
 * `npm run check:traces` (SPEC §1): the four services run as separate processes (two gateways) exporting
 * spans over OTLP to a Jaeger; alice on gateway A sends chat messages to bob on gateway B; then Jaeger's
 * query API must hold each message as one trace: the gateway's receive (`ws send`, the root) → its publish
 * into the partition → the router's consume → the MongoDB insert that stores it → the router's delivery
 * publish → the delivery on gateway B, each span the child of the one before (the insert and the delivery
 * publish somewhere below the router's consume). Prints the trace of the last message, its id and its
 * Jaeger URL; exits 1 when a message's trace is missing or wrong.
 *
 *   node packages/telemetry/check/check-traces.mjs [--messages 3] [--keep]
 *
 * Needs OTEL_EXPORTER_OTLP_ENDPOINT (where the services export) and JAEGER_QUERY_URL (Jaeger's query API
 * and UI, default http://127.0.0.1:16686); `npm run check:traces` starts a Jaeger and sets both. With
 * `--keep` the stack stays up until Ctrl-C, so the trace can be looked at in Jaeger.
 */
import { parseArgs } from 'node:util';
import { ChatStack, connectRecording } from '@coffeechat/testkit';

const { values: args } = parseArgs({
  options: { messages: { type: 'string', default: '3' }, keep: { type: 'boolean', default: false } },
});
const MESSAGES = Number(args.messages);
const endpoint = process.env.OTEL_EXPORTER_OTLP_ENDPOINT;
const queryUrl = (process.env.JAEGER_QUERY_URL ?? 'http://127.0.0.1:16686').replace(/\/$/, '');
if (!endpoint) {
  console.error('check-traces: set OTEL_EXPORTER_OTLP_ENDPOINT (npm run check:traces starts a Jaeger and sets it)');
  process.exit(2);
}
// the services inherit this environment: their tracing settings come from here only
for (const key of Object.keys(process.env)) if (key.startsWith('OTEL_')) delete process.env[key];

const env = {
  OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
  OTEL_TRACES_SAMPLER: 'parentbased_always_on',
  // export within half a second instead of five
  OTEL_BSP_SCHEDULE_DELAY: '500',
};

const log = (msg) => process.stderr.write(`[check:traces] ${msg}\n`);

/** Jaeger's traces holding a span tagged with this client message id. */
async function tracesOf(clientMsgId) {
  const params = new URLSearchParams({
    service: 'gateway',
    tags: JSON.stringify({ 'coffeechat.client_msg_id': clientMsgId }),
    lookback: '1h',
    limit: '5',
  });
  const res = await fetch(`${queryUrl}/api/traces?${params}`, { signal: AbortSignal.timeout(5000) });
  if (!res.ok) throw new Error(`GET ${queryUrl}/api/traces → ${res.status} ${await res.text()}`);
  return (await res.json()).data ?? [];
}

/** Jaeger's trace JSON as flat spans: service, process id, parent (CHILD_OF), tags as an object. */
function spansOf(trace) {
  return trace.spans.map((s) => {
    const proc = trace.processes[s.processID] ?? { serviceName: '?', tags: [] };
    return {
      id: s.spanID,
      parent: s.references?.find((r) => r.refType === 'CHILD_OF')?.spanID,
      name: s.operationName,
      service: proc.serviceName,
      pid: proc.tags.find((t) => t.key === 'process.pid')?.value,
      tags: Object.fromEntries(s.tags.map((t) => [t.key, t.value])),
      start: s.startTime,
      duration: s.duration,
    };
  });
}

/** What is wrong with one message's trace (empty: it is right). */
/** `run`: the namespace and the gateways' process ids. */
function problemsOf(spans, clientMsgId, run) {
  const { ns } = run;
  const problems = [];
  const byId = new Map(spans.map((s) => [s.id, s]));
  const find = (what, match) => {
    const found = spans.filter(match);
    if (found.length !== 1) problems.push(`${what}: expected one span, found ${found.length}`);
    return found[0];
  };
  const childOf = (what, span, parent) => {
    if (span && parent && span.parent !== parent.id) problems.push(`${what} is not a child of ${parent.name}`);
  };
  const below = (what, span, ancestor) => {
    let cur = span;
    while (cur && cur.id !== ancestor?.id) cur = byId.get(cur.parent);
    if (span && ancestor && !cur) problems.push(`${what} is not below ${ancestor.name}`);
  };
  const root = find(
    "gateway A's receive (ws send)",
    (s) => s.name === 'ws send' && s.tags['coffeechat.client_msg_id'] === clientMsgId,
  );
  if (root && (root.parent || root.pid !== run.gatewayA || root.service !== 'gateway'))
    problems.push('ws send is not the root span, on gateway A');
  const publish = find(
    "gateway A's publish into the partition",
    (s) => s.name === `${ns}.inbound publish` && s.service === 'gateway',
  );
  childOf('the inbound publish', publish, root);
  const consume = find(
    "the router's consume",
    (s) => s.name === `${ns}.inbound process` && s.service === 'message-router',
  );
  childOf("the router's consume", consume, publish);
  // the store: the MongoDB insert of the message (the router's client span around insertMany)
  const stores = spans.filter(
    (s) =>
      s.service === 'message-router' &&
      (s.tags['db.system'] === 'mongodb' || s.tags['db.system.name'] === 'mongodb') &&
      s.name.startsWith('insert'),
  );
  if (stores.length === 0) problems.push("the router's MongoDB insert: no span");
  for (const store of stores) below('the MongoDB insert', store, consume);
  const deliveryPublish = find(
    "the router's delivery publish",
    (s) => s.name === `${ns}.delivery publish` && s.service === 'message-router',
  );
  below("the router's delivery publish", deliveryPublish, consume);
  const delivery = find("gateway B's delivery", (s) => s.name === `${ns}.delivery process` && s.pid === run.gatewayB);
  childOf("gateway B's delivery", delivery, deliveryPublish);
  return problems;
}

/** The trace as an indented waterfall: offset, duration, service[pid], span name. */
function waterfall(spans) {
  const t0 = Math.min(...spans.map((s) => s.start));
  const children = new Map();
  for (const s of spans) children.set(s.parent, [...(children.get(s.parent) ?? []), s]);
  const ids = new Set(spans.map((s) => s.id));
  const lines = [];
  const walk = (span, depth) => {
    const at = `+${((span.start - t0) / 1000).toFixed(1)} ms`.padStart(10);
    const took = `${(span.duration / 1000).toFixed(1)} ms`.padStart(9);
    lines.push(`${at} ${took}  ${`${span.service}[${span.pid}]`.padEnd(24)} ${'  '.repeat(depth)}${span.name}`);
    for (const c of (children.get(span.id) ?? []).sort((a, b) => a.start - b.start)) walk(c, depth + 1);
  };
  for (const r of spans.filter((s) => !s.parent || !ids.has(s.parent)).sort((a, b) => a.start - b.start)) walk(r, 0);
  return lines.join('\n');
}

const sockets = [];
let stack;
let failed = false;
try {
  stack = await ChatStack.start({ label: 'traces', routers: 1, gateways: 2, partitions: 2, env });
  await Promise.all([stack.startService('presence'), stack.startService('feed')]);
  const ns = stack.namespace;
  log(`namespace ${ns}; spans to ${endpoint}; Jaeger query API ${queryUrl}`);
  const [gatewayA, gatewayB] = stack.gateways;
  const run = { ns, gatewayA: gatewayA.child.pid, gatewayB: gatewayB.child.pid };
  const users = { alice: `alice-${ns}`, bob: `bob-${ns}` };
  const { roomId } = await stack.createRoom([users.alice, users.bob]);
  const alice = await connectRecording(gatewayA.port, users.alice);
  const bob = await connectRecording(gatewayB.port, users.bob);
  sockets.push(alice.ws, bob.ws);
  alice.send({ type: 'join', roomId });
  bob.send({ type: 'join', roomId });
  await Promise.all([alice.until((f) => f.type === 'joined'), bob.until((f) => f.type === 'joined')]);

  const ids = Array.from({ length: MESSAGES }, (_, i) => `${ns}-m${i + 1}`);
  for (const clientMsgId of ids) {
    alice.send({ type: 'send', roomId, clientMsgId, body: `traced message ${clientMsgId}` });
    await Promise.all([
      alice.until((f) => f.type === 'ack' && f.clientMsgId === clientMsgId, 20_000),
      bob.until((f) => f.type === 'message' && f.clientMsgId === clientMsgId, 20_000),
    ]);
  }
  log(`${MESSAGES} messages sent on gateway A (pid ${run.gatewayA}) and delivered on gateway B (pid ${run.gatewayB})`);

  // spans arrive within a second or two (batch export, Jaeger's own batching): poll until complete
  const results = [];
  for (const clientMsgId of ids) {
    const deadline = Date.now() + 30_000;
    let last = { problems: ['no trace in Jaeger'], traces: [] };
    while (Date.now() < deadline) {
      const traces = await tracesOf(clientMsgId);
      const spans = traces.length === 1 ? spansOf(traces[0]) : [];
      const problems =
        traces.length === 1 ? problemsOf(spans, clientMsgId, run) : [`${traces.length} traces hold this message`];
      last = { clientMsgId, traceId: traces[0]?.traceID, spans, problems };
      if (problems.length === 0) break;
      await new Promise((r) => setTimeout(r, 500));
    }
    results.push(last);
  }

  // the last one: the first message of a fresh database also waits for its collections to be created
  const shown = results[results.length - 1];
  if (shown?.spans.length) {
    console.log(`trace ${shown.traceId} (message ${shown.clientMsgId}, ${shown.spans.length} spans):`);
    console.log(waterfall(shown.spans));
    console.log('');
  }
  for (const r of results) {
    if (r.problems.length === 0) console.log(`ok   ${r.clientMsgId}: one trace, ${r.traceId}, ${r.spans.length} spans`);
    else console.log(`FAIL ${r.clientMsgId}: ${r.problems.join('; ')}`);
  }
  failed = results.some((r) => r.problems.length > 0);
  if (shown?.traceId) {
    console.log(`trace id: ${shown.traceId}`);
    console.log(`Jaeger:   ${queryUrl}/trace/${shown.traceId}  (API: ${queryUrl}/api/traces/${shown.traceId})`);
  }
  console.log(
    failed ? 'check:traces FAILED' : `check:traces passed: ${MESSAGES} messages, each one trace across the services`,
  );

  if (args.keep) {
    log('--keep: the stack and Jaeger stay up; Ctrl-C ends them');
    await new Promise((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
    });
  }
} catch (err) {
  failed = true;
  console.log(`check:traces FAILED: ${err instanceof Error ? err.message : err}`);
} finally {
  for (const ws of sockets) ws.terminate();
  await stack?.stop();
}
process.exit(failed ? 1 : 0);
