#!/usr/bin/env node
/**
 * The CPU cost of tracing per chat message, without the network, the broker or the store: one process per
 * mode runs the spans and header work of one message's path the way the services do (gateway frame span,
 * inbound publish with injected headers, router consume with extracted context, batch span, three
 * publishes, a delivery consume on the receiving gateway) around a fixed amount of asynchronous work
 * (`--awaits` promise hops per message, so the cost of context propagation through promises counts too),
 * each message after a turn of the event loop, as a message that arrives over the network is.
 * What `bench.mjs` measures end to end is this cost plus everything else; on a busy shared machine the
 * rest varies more between runs than tracing does, and this isolates it.
 *
 *   node loadtest/tracing/micro.mjs [--messages 200000] [--awaits 20] [--rounds 3]
 */
import { execFile } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values: args } = parseArgs({
  options: {
    messages: { type: 'string', default: '200000' },
    awaits: { type: 'string', default: '20' },
    rounds: { type: 'string', default: '3' },
    child: { type: 'string' },
  },
});
const MESSAGES = Number(args.messages);
const AWAITS = Number(args.awaits);

if (args.child !== undefined) {
  // one mode in this process: tracing as the services start it, exporting to the parent's sink
  const { startTelemetry, tracePublish, traceConsume, startConsumeSpan, withBatchSpan, withSpan, SpanKind } =
    // by path: the telemetry package is not a dependency of the load-test package
    await import(new URL('../../packages/telemetry/dist/index.js', import.meta.url).href);
  const telemetry = startTelemetry('micro', '0.0.0');
  const work = async () => {
    for (let i = 0; i < AWAITS; i++) await Promise.resolve(i);
  };
  const delivered = (headers) => ({
    content: { length: 200 },
    fields: { exchange: 'ns.inbound', routingKey: 'p1', deliveryTag: 1, redelivered: false },
    properties: { headers },
  });
  const oneMessage = async () => {
    // a message arrives with I/O: a turn of the event loop, where timers and immediates run
    await new Promise((resolve) => setImmediate(resolve));
    // gateway A: the frame's span, the publish into the partition
    let inbound;
    await withSpan('ws send', { kind: SpanKind.SERVER }, async () => {
      await work();
      await tracePublish({ exchange: 'ns.inbound', routingKey: 'p1', bodySize: 200 }, async (headers) => {
        inbound = headers;
      });
    });
    // router: consume, batch work, three publishes in the message's trace
    const consume = startConsumeSpan(delivered(inbound), 'ns.inbound.p1');
    await withBatchSpan('store batch', [consume], work);
    const out = [];
    await consume.run(() =>
      Promise.all(
        ['ns.delivery', '', 'ns.events'].map((exchange) =>
          tracePublish({ exchange, routingKey: 'room.r1', bodySize: 200 }, async (headers) => out.push(headers)),
        ),
      ),
    );
    consume.end();
    // gateway B: the delivery
    await traceConsume(delivered(out[0]), 'ns.gw.b', work);
  };
  for (let i = 0; i < 2000; i++) await oneMessage(); // warm-up
  const before = process.cpuUsage();
  const started = performance.now();
  for (let i = 0; i < MESSAGES; i++) await oneMessage();
  const cpu = process.cpuUsage(before);
  const wallMs = performance.now() - started;
  await telemetry.shutdown();
  process.stdout.write(
    JSON.stringify({ cpuUsPerMsg: (cpu.user + cpu.system) / MESSAGES, wallUsPerMsg: (wallMs * 1000) / MESSAGES }),
  );
  process.exit(0);
}

const sink = http.createServer((req, res) => {
  req.resume();
  req.on('end', () => res.writeHead(200).end());
});
await new Promise((resolve) => sink.listen(0, '127.0.0.1', resolve));
const endpoint = `http://127.0.0.1:${sink.address().port}`;
const modes = [
  { name: 'off', env: {} },
  { name: 'sampler 0.01', env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_TRACES_SAMPLER_ARG: '0.01' } },
  { name: 'sampler 1.0', env: { OTEL_EXPORTER_OTLP_ENDPOINT: endpoint, OTEL_TRACES_SAMPLER_ARG: '1' } },
];
const self = fileURLToPath(import.meta.url);
const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OTEL_')));
const runs = [];
for (let round = 1; round <= Number(args.rounds); round++) {
  for (const mode of modes) {
    const out = await new Promise((resolve, reject) => {
      execFile(
        process.execPath,
        [self, '--child', mode.name, '--messages', String(MESSAGES), '--awaits', String(AWAITS)],
        { env: { ...base, ...mode.env }, maxBuffer: 1 << 20 },
        (err, stdout) => (err ? reject(err) : resolve(stdout)),
      );
    });
    runs.push({ round, mode: mode.name, ...JSON.parse(out) });
    process.stderr.write(`round ${round} ${mode.name}: ${JSON.parse(out).cpuUsPerMsg.toFixed(1)} µs CPU per message\n`);
  }
}
sink.close();
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = modes.map(({ name }) => {
  const rs = runs.filter((r) => r.mode === name);
  return { mode: name, cpu: median(rs.map((r) => r.cpuUsPerMsg)) };
});
console.log(
  `${MESSAGES} messages per run, ${AWAITS} promise hops of other work per message; median of ${args.rounds} rounds`,
);
console.log('');
console.log('| tracing | CPU per message (tracing path + the other work) | added by tracing |');
console.log('| --- | ---: | ---: |');
for (const r of rows) console.log(`| ${r.mode} | ${r.cpu.toFixed(1)} µs | ${(r.cpu - rows[0].cpu).toFixed(1)} µs |`);
