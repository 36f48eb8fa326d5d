/**
 * An OTLP/HTTP trace receiver for tests: services started with `receiver.env` export their spans here
 * (JSON encoding, `OTEL_EXPORTER_OTLP_PROTOCOL=http/json`, gzip or not), and the test asserts on them.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';

const gunzipAsync = promisify(gunzip);

export type SpanKindName = 'UNSPECIFIED' | 'INTERNAL' | 'SERVER' | 'CLIENT' | 'PRODUCER' | 'CONSUMER';
export type AttributeValue = string | number | boolean | null | AttributeValue[];

export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  /** absent for a root span */
  parentSpanId?: string;
  name: string;
  kind: SpanKindName;
  /** `service.name` of the exporting process */
  service: string;
  resource: Record<string, AttributeValue>;
  /** instrumentation scope (tracer) name */
  scope: string;
  attributes: Record<string, AttributeValue>;
  links: Array<{ traceId: string; spanId: string }>;
  startNs: bigint;
  endNs: bigint;
  /** 0 unset, 1 ok, 2 error */
  statusCode: number;
}

export interface OtlpReceiver {
  /** for `OTEL_EXPORTER_OTLP_ENDPOINT` (the exporter appends `/v1/traces`) */
  endpoint: string;
  /** the variables that point a service's exporter here, with a short batch delay so tests wait little */
  env: Record<string, string>;
  spans(): ReceivedSpan[];
  /** resolves with all spans once `done(spans)` is true; rejects with what arrived after `timeoutMs` */
  waitFor(done: (spans: ReceivedSpan[]) => boolean, timeoutMs?: number): Promise<ReceivedSpan[]>;
  clear(): void;
  close(): Promise<void>;
}

// OTLP JSON: https://opentelemetry.io/docs/specs/otlp/#json-protobuf-encoding (ids are hex, enums are numbers)
interface OtlpAnyValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string;
  doubleValue?: number;
  arrayValue?: { values?: OtlpAnyValue[] };
}
interface OtlpKeyValue {
  key: string;
  value?: OtlpAnyValue;
}
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind?: number;
  startTimeUnixNano: string | number;
  endTimeUnixNano: string | number;
  attributes?: OtlpKeyValue[];
  links?: Array<{ traceId: string; spanId: string }>;
  status?: { code?: number };
}
interface ExportTraceServiceRequest {
  resourceSpans?: Array<{
    resource?: { attributes?: OtlpKeyValue[] };
    scopeSpans?: Array<{ scope?: { name?: string }; spans?: OtlpSpan[] }>;
  }>;
}

const KINDS: SpanKindName[] = ['UNSPECIFIED', 'INTERNAL', 'SERVER', 'CLIENT', 'PRODUCER', 'CONSUMER'];

function anyValue(v: OtlpAnyValue | undefined): AttributeValue {
  if (!v) return null;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.boolValue !== undefined) return v.boolValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return v.doubleValue;
  if (v.arrayValue) return (v.arrayValue.values ?? []).map(anyValue);
  return null;
}

const attributeMap = (list: OtlpKeyValue[] = []) => Object.fromEntries(list.map((kv) => [kv.key, anyValue(kv.value)]));

export function decodeTraceRequest(body: ExportTraceServiceRequest): ReceivedSpan[] {
  const out: ReceivedSpan[] = [];
  for (const rs of body.resourceSpans ?? []) {
    const resource = attributeMap(rs.resource?.attributes);
    for (const ss of rs.scopeSpans ?? []) {
      for (const s of ss.spans ?? []) {
        out.push({
          traceId: s.traceId,
          spanId: s.spanId,
          ...(s.parentSpanId ? { parentSpanId: s.parentSpanId } : {}),
          name: s.name,
          kind: KINDS[s.kind ?? 0] ?? 'UNSPECIFIED',
          service: String(resource['service.name'] ?? ''),
          resource,
          scope: ss.scope?.name ?? '',
          attributes: attributeMap(s.attributes),
          links: (s.links ?? []).map((l) => ({ traceId: l.traceId, spanId: l.spanId })),
          startNs: BigInt(s.startTimeUnixNano),
          endNs: BigInt(s.endTimeUnixNano),
          statusCode: s.status?.code ?? 0,
        });
      }
    }
  }
  return out;
}

async function readBody(req: http.IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  return req.headers['content-encoding'] === 'gzip' ? gunzipAsync(raw) : raw;
}

/** One line per span, for failure messages: `service kind name trace/span<-parent`. */
export function describeSpans(spans: readonly ReceivedSpan[]): string {
  return spans
    .map((s) => `${s.service} ${s.kind} "${s.name}" ${s.traceId}/${s.spanId}<-${s.parentSpanId ?? 'root'}`)
    .join('\n');
}

export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  let received: ReceivedSpan[] = [];
  const waiters = new Set<() => void>();
  const server = http.createServer((req, res) => {
    const reply = (status: number, body: object) => {
      res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    };
    if (req.method !== 'POST' || req.url !== '/v1/traces') return reply(404, { message: 'only POST /v1/traces' });
    if (!String(req.headers['content-type']).startsWith('application/json')) {
      req.resume();
      return reply(415, { message: 'JSON only: set OTEL_EXPORTER_OTLP_PROTOCOL=http/json' });
    }
    readBody(req).then(
      (body) => {
        received.push(...decodeTraceRequest(JSON.parse(body.toString('utf8')) as ExportTraceServiceRequest));
        for (const wake of waiters) wake();
        reply(200, {});
      },
      () => reply(400, { message: 'unreadable body' }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    endpoint,
    env: {
      OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      OTEL_BSP_SCHEDULE_DELAY: '100',
    },
    spans: () => [...received],
    waitFor: (done, timeoutMs = 15_000) =>
      new Promise((resolve, reject) => {
        const check = () => {
          if (!done(received)) return false;
          cleanup();
          resolve([...received]);
          return true;
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`spans not as expected after ${timeoutMs} ms; received:\n${describeSpans(received)}`));
        }, timeoutMs);
        const wake = () => void check();
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(wake);
        };
        waiters.add(wake);
        check();
      }),
    clear: () => {
      received = [];
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
