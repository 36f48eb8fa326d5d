/**
 * Whether a span whose parent was not sampled can be skipped. Under a parent-based sampler such a span is
 * never recorded, yet creating it costs an id, a sampling decision and its attributes, per hop of every
 * message; skipping it keeps the parent's context, whose not-sampled flag still travels on. Set by
 * `startTelemetry` from the configured sampler; internal to this package.
 */
import { type Context, TraceFlags, trace } from '@opentelemetry/api';

let followsParent = false;

export function setSamplingFollowsParent(value: boolean): void {
  followsParent = value;
}

/** True when `parent` carries a valid, not-sampled span context that decides for its children. */
export function unsampledParent(parent: Context): boolean {
  if (!followsParent) return false;
  const parentSpan = trace.getSpanContext(parent);
  return (
    parentSpan !== undefined &&
    (parentSpan.traceFlags & TraceFlags.SAMPLED) === 0 &&
    trace.isSpanContextValid(parentSpan)
  );
}
