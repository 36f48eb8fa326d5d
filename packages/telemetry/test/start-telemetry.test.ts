/**
 * startTelemetry in a real ESM process (test/fixtures/traced-app.mjs, shaped like a service): off without an
 * endpoint, instrumented HTTP/express/ioredis/MongoDB spans exported over OTLP/HTTP when on, flushed at
 * shutdown, service name and version on the resource, bad settings stop the process with one line.
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { mongoUrlFor, type OtlpReceiver, servers, startOtlpReceiver, uniqueNamespace } from '@coffeechat/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const APP = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures', 'traced-app.mjs');

function run(env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const ns = uniqueNamespace('tel');
  const child = spawn(process.execPath, [APP], {
    env: {
      PATH: process.env.PATH ?? '',
      REDIS_URL: servers.redisUrl,
      MONGO_URL: mongoUrlFor(ns),
      KEY_PREFIX: ns,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once('exit', (code) => resolve({ code, stdout, stderr })));
}

let receiver: OtlpReceiver;
beforeAll(async () => {
  receiver = await startOtlpReceiver();
});
afterAll(() => receiver?.close());

describe('startTelemetry', () => {
  it('is off cleanly without an endpoint: no SDK loaded, nothing exported, no output', async () => {
    const { code, stdout, stderr } = await run({});
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toEqual({
      enabled: false,
      description: 'tracing off (no OTEL_EXPORTER_OTLP_ENDPOINT)',
      sdkLoaded: false,
    });
    expect(receiver.spans()).toEqual([]);
  });

  it('exports instrumented spans of an ESM service over OTLP/HTTP and flushes them at shutdown', async () => {
    receiver.clear();
    const { code, stdout, stderr } = await run({ ...receiver.env, OTEL_BSP_SCHEDULE_DELAY: '600000' });
    expect(stderr).toBe('');
    expect(code).toBe(0);
    expect(JSON.parse(stdout)).toMatchObject({ enabled: true, sdkLoaded: true });
    const spans = receiver.spans();
    const names = spans.map((s) => `${s.scope}: ${s.name}`);
    expect(names).toEqual(
      expect.arrayContaining([
        '@opentelemetry/instrumentation-http: GET /things/:thingId',
        '@opentelemetry/instrumentation-express: request handler',
        '@opentelemetry/instrumentation-ioredis: get',
        '@opentelemetry/instrumentation-mongodb: insert things',
        '@coffeechat/telemetry: manual work',
      ]),
    );
    // health probes make no traces
    expect(names.filter((n) => n.includes('healthz'))).toEqual([]);
    // Redis and MongoDB ran inside the request: one trace, children of the server span
    const server = spans.find((s) => s.kind === 'SERVER')!;
    for (const name of ['get', 'insert things']) {
      const span = spans.find((s) => s.name === name)!;
      expect(span.traceId, name).toBe(server.traceId);
    }
    expect(server.resource).toMatchObject({ 'service.name': 'fixture-service', 'service.version': '1.2.3' });
    // values never reach span attributes
    expect(JSON.stringify(spans.map((s) => s.attributes))).not.toContain('a private chat line');
  });

  it('lets OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES override the resource, and samples by ratio', async () => {
    receiver.clear();
    const { code } = await run({
      ...receiver.env,
      OTEL_SERVICE_NAME: 'renamed',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test',
      OTEL_TRACES_SAMPLER_ARG: '0',
    });
    expect(code).toBe(0);
    // ratio 0: no new trace is recorded at all
    expect(receiver.spans()).toEqual([]);
    receiver.clear();
    await run({
      ...receiver.env,
      OTEL_SERVICE_NAME: 'renamed',
      OTEL_RESOURCE_ATTRIBUTES: 'deployment.environment.name=test',
    });
    expect(receiver.spans()[0]?.resource).toMatchObject({
      'service.name': 'renamed',
      'service.version': '1.2.3',
      'deployment.environment.name': 'test',
    });
  });

  it('stops the process with one line naming a bad variable', async () => {
    const { code, stdout, stderr } = await run({ ...receiver.env, OTEL_TRACES_SAMPLER_ARG: '1.5' });
    expect(code).toBe(1);
    expect(stdout).toBe('');
    expect(stderr).toBe('config error: OTEL_TRACES_SAMPLER_ARG: must be a number from 0 to 1, got "1.5"\n');
  });
});
