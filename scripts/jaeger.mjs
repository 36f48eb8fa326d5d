// A Jaeger for `npm run check:traces` and `npm start -- --jaeger`: the cached all-in-one binary
// (scripts/go-tools.mjs) with in-memory storage, taking OTLP over HTTP and serving its query API (and
// UI) on the given ports, all on 127.0.0.1. Plain Node with no dependencies.
import { spawn } from 'node:child_process';
import { mkdirSync, openSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { ensureGoTool, GO_TOOLS } from './go-tools.mjs';

const log = (msg) => console.log(`[jaeger] ${msg}`);

/** The Jaeger defaults, used by `npm start -- --jaeger`. */
export const JAEGER_DEFAULT_PORTS = { otlp: 4318, query: 16686, queryGrpc: 16685 };

export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function answers(port) {
  return new Promise((resolve) => {
    const socket = net.connect({ host: '127.0.0.1', port });
    socket.setTimeout(1000, () => socket.destroy());
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => resolve(false));
  });
}

// Jaeger v2 is an OpenTelemetry Collector: every listener is set here, and its own metrics and traces
// are off (they would listen on 8888 and export to 127.0.0.1:4317), so that two Jaegers (a check beside
// `npm start -- --jaeger`) never compete for a port and Jaeger never traces itself into a collector.
const config = (ports) => `service:
  extensions: [jaeger_storage, jaeger_query]
  pipelines:
    traces:
      receivers: [otlp]
      processors: [batch]
      exporters: [jaeger_storage_exporter]
  telemetry:
    metrics:
      level: none
    logs:
      level: warn
extensions:
  jaeger_storage:
    backends:
      memstore:
        memory:
          max_traces: 100000
  jaeger_query:
    storage:
      traces: memstore
    enable_tracing: false
    http:
      endpoint: 127.0.0.1:${ports.query}
    grpc:
      endpoint: 127.0.0.1:${ports.queryGrpc}
receivers:
  otlp:
    protocols:
      http:
        endpoint: 127.0.0.1:${ports.otlp}
processors:
  batch:
    timeout: 200ms
exporters:
  jaeger_storage_exporter:
    trace_storage: memstore
`;

/**
 * Starts Jaeger on `ports` (default: free ones) and waits until it takes spans and answers queries.
 * Returns the OTLP endpoint for `OTEL_EXPORTER_OTLP_ENDPOINT`, the query/UI URL, and `stop()`.
 */
export async function startJaeger({ dataRoot = path.resolve('.infra'), ports } = {}) {
  const bin = ensureGoTool('jaeger');
  const chosen = ports ?? { otlp: await freePort(), query: await freePort(), queryGrpc: await freePort() };
  mkdirSync(dataRoot, { recursive: true });
  const file = path.join(dataRoot, `jaeger-${chosen.query}.yaml`);
  writeFileSync(file, config(chosen));
  const logFile = path.join(dataRoot, `jaeger-${chosen.query}.log`);
  const logFd = openSync(logFile, 'a');
  const child = spawn(bin, ['--config', file], { stdio: ['ignore', logFd, logFd] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(timer);
  };
  const deadline = Date.now() + 30_000;
  while (!((await answers(chosen.otlp)) && (await answers(chosen.query)))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await stop();
      throw new Error(`Jaeger did not start; see ${logFile}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  const queryUrl = `http://127.0.0.1:${chosen.query}`;
  log(
    `Jaeger ${GO_TOOLS.jaeger.version} (pid ${child.pid}): OTLP/HTTP http://127.0.0.1:${chosen.otlp}, UI and API ${queryUrl}`,
  );
  return { otlpEndpoint: `http://127.0.0.1:${chosen.otlp}`, queryUrl, pid: child.pid, stop };
}
