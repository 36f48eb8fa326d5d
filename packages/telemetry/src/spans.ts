/**
 * Small helpers around the OpenTelemetry API that every service's hand-made spans share. With tracing off
 * they cost a no-op span and a function call; under a not-sampled parent, about the same (`span-policy.ts`);
 * attributes are only built for spans that record.
 */
import {
  type Attributes,
  type Context,
  context,
  INVALID_SPAN_CONTEXT,
  type Link,
  type Span,
  type SpanKind,
  SpanStatusCode,
  trace,
} from '@opentelemetry/api';
import { unsampledParent } from './span-policy.js';

export const tracer = trace.getTracer('@coffeechat/telemetry');

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
 * rejection marks the span failed and is passed on.
 */
export function withSpan<T>(name: string, options: WithSpanOptions, fn: (span: Span) => T): T {
  const parent = options.parent ?? context.active();
  if (unsampledParent(parent)) {
    // nothing under this parent records: run in its context, which already says "not sampled"
    return context.with(parent, fn, undefined, trace.getSpan(parent) ?? trace.wrapSpanContext(INVALID_SPAN_CONTEXT));
  }
  const span = startSpan(name, options, parent);
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

/** Runs `fn` with `ctx` active: work for one message done outside its consumer callback (a batch flush). */
export function withTraceContext<T>(ctx: Context, fn: () => T): T {
  return context.with(ctx, fn);
}

export { type Context as TraceContext, SpanKind } from '@opentelemetry/api';
