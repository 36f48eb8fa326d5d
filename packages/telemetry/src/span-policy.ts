/**
 * What this package's helpers may skip, set by `startTelemetry` from the configured sampler; internal to
 * this package.
 *
 * - Under a parent-based sampler a span whose parent was not sampled is never recorded, yet creating it
 *   costs an id, a sampling decision and its attributes: such spans are skipped.
 * - A new trace (a span without a parent) is sampled with the configured ratio. The SDK decides that from
 *   a freshly generated trace id; deciding first with one random number, and asking the SDK only for the
 *   traces that are sampled (`decidedRoot`), saves the ids and the SDK's span machinery on the 99 frames in
 *   100 that a ratio of 0.01 leaves untraced. The sampler `startTelemetry` installs honours that decision.
 */
import { type Context, TraceFlags, trace } from '@opentelemetry/api';

let followsParent = false;
/** probability that a new trace is sampled; undefined: ask the SDK's sampler for each one */
let rootRatio: number | undefined;
/** set while `decidedRoot` asks the SDK for a span whose trace was already decided to be sampled */
let rootSampled = false;

export function setSamplingFollowsParent(value: boolean): void {
  followsParent = value;
}

export function setRootRatio(ratio: number | undefined): void {
  rootRatio = ratio;
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

/** For a new trace: false when it is decided here not to be sampled; true when the SDK is to be asked. */
export function rootMaySample(): boolean {
  return rootRatio === undefined || Math.random() < rootRatio;
}

/** Runs `start` (which starts a root span) telling the sampler the trace is sampled, when decided here. */
export function decidedRoot<T>(start: () => T): T {
  if (rootRatio === undefined) return start();
  rootSampled = true;
  try {
    return start();
  } finally {
    rootSampled = false;
  }
}

/** Whether the root span being started was decided sampled by `decidedRoot` (read by the installed sampler). */
export function rootDecidedSampled(): boolean {
  return rootSampled;
}
