/**
 * Small helpers around the OpenTelemetry API that every service's hand-made spans share. An unsampled span
 * costs its sampling decision and nothing more: it is never made active (`sampled-context.ts`), so the work
 * under it runs as if tracing were off; attributes are only built for spans that record.
 */
import {
  type Attributes,
  type Context,
  context,
  INVALID_SPAN_CONTEXT,
  type Link,
  ROOT_CONTEXT,
  type Span,
  type SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { activeContext, isSampled } from './sampled-context.js';
import { decidedRoot, rootMaySample, unsampledParent } from './span-policy.js';

export const tracer = trace.getTracer('@coffeechat/telemetry');

/** The span handed to work that is not traced. */
export const UNTRACED_SPAN: Span = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

/** Marks the span failed with the error's class (`error.type`), never its message: messages may quote input. */
export function recordFailure(span: Span, error: unknown): void {
  const type =
    (error as { code?: unknown } | null)?.code ??
    (error instanceof Error ? error.name : typeof error === 'string' ? 'Error' : 'unknown');
  span.setAttribute('error.type', String(type));
  span.setStatus({ code: SpanStatusCode.ERROR });
}

/** Ends `span` when `result` settles (a promise) or at once; returns `result` unchanged. */
export function endWhenSettled<T>(span: Span, result: T): T {
  if (result instanceof Promise) {
    result.then(
      () => span.end(),
      (error: unknown) => {
        recordFailure(span, error);
        span.end();
      },
    );
  } else {
    span.end();
  }
  return result;
}

export interface WithSpanOptions {
  kind?: SpanKind;
  /** a function when building them costs: only called for a span that records */
  attributes?: Attributes | (() => Attributes);
  links?: Link[];
  /** parent context (default: the active one) */
  parent?: Context;
}

/**
 * Runs `fn` inside a new active span and ends it when `fn` returns or its promise settles; a throw or a
 * rejection marks the span failed and is passed on. A span that is not sampled is not made active: `fn`
 * gets a non-recording span and runs untraced (in `parent` when one is given, so sampled work around it
 * does not adopt it); for a new trace not even the span is made (`span-policy.ts`).
 */
export function withSpan<T>(name: string, options: WithSpanOptions, fn: (span: Span) => T): T {
  const parent = options.parent ?? activeContext();
  const untraced = () => (options.parent ? withTraceContext(parent, () => fn(UNTRACED_SPAN)) : fn(UNTRACED_SPAN));
  const parentSpan = parent === ROOT_CONTEXT ? undefined : trace.getSpanContext(parent);
  let span: Span;
  if (parentSpan === undefined) {
    // a new trace: most are not sampled, and need nothing more than that decision
    if (!rootMaySample()) return untraced();
    span = decidedRoot(() => startSpan(name, options, parent));
  } else {
    if (unsampledParent(parent)) return untraced();
    span = startSpan(name, options, parent);
  }
  if (!span.isRecording()) return untraced();
  let result: T;
  try {
    result = context.with(trace.setSpan(parent, span), fn, undefined, span);
  } catch (error) {
    recordFailure(span, error);
    span.end();
    throw error;
  }
  return endWhenSettled(span, result);
}

/** Starts a span in `parent`; its attributes are set only if it records. */
export function startSpan(name: string, options: Omit<WithSpanOptions, 'parent'>, parent: Context): Span {
  const span = tracer.startSpan(name, { kind: options.kind, links: options.links }, parent);
  if (options.attributes && span.isRecording()) {
    span.setAttributes(typeof options.attributes === 'function' ? options.attributes() : options.attributes);
  }
  return span;
}

/**
 * The active context, to be carried past an await by hand (`withTraceContext` after it) in a process that
 * starts tracing without async context propagation (`startTelemetry(…, { asyncContext: false })`).
 */
export function activeTraceContext(): Context {
  return activeContext();
}

/**
 * Runs `fn` with `ctx` active: work for one message done outside its consumer callback (a batch flush).
 * Untraced work under untraced work just runs: no context switch where neither side is sampled.
 */
export function withTraceContext<T>(ctx: Context, fn: () => T): T {
  if (!isSampled(ctx) && !isSampled(activeContext())) return fn();
  return context.with(ctx, fn);
}

export { type Context as TraceContext, SpanKind } from '@opentelemetry/api';
