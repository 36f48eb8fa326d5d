/**
 * The context manager every service runs: AsyncLocalStorage while a sampled trace is being worked on, and
 * nothing else otherwise.
 *
 * On Node 20, AsyncLocalStorage propagates through async hooks: once one instance is enabled, every promise
 * and every other async resource of the process pays an init, a before and an after hook, traced or not
 * (about a tenth of a gateway's CPU per typing frame, measured in loadtest/tracing). At a sample ratio of
 * 0.01, 99 frames in 100 need no context at all: nothing below an unsampled root records, and this
 * package's helpers neither start a span nor inject a header under one (`messaging-spans.ts`). So:
 * - `with(ctx, fn)` enters AsyncLocalStorage only for a context whose span is sampled, or while the storage
 *   is on anyway; any other context is active for the synchronous part of `fn` only, which is all an
 *   unsampled span needs (its children are not recorded either way);
 * - the storage is switched on by the first sampled `with` and off again, hooks and all, once no sampled
 *   span is open (`SampledSpanTracker`, a span processor, counts them).
 * A continuation of sampled work that runs after its last span ended sees the root context: it could only
 * have made orphans.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { type Context, type ContextManager, ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';

/** True when `ctx` carries a span context whose trace is sampled (a recording span, or a remote parent). */
export function isSampled(ctx: Context): boolean {
  const spanContext = trace.getSpanContext(ctx);
  return spanContext !== undefined && (spanContext.traceFlags & TraceFlags.SAMPLED) !== 0;
}

export interface SampledContextOptions {
  /**
   * false: never AsyncLocalStorage, every context is active for the synchronous part of its `with` only;
   * for a process whose code carries the context past its awaits itself (`activeTraceContext`), which then
   * pays no async hooks at all.
   */
  async?: boolean;
}

export class SampledContextManager implements ContextManager {
  private readonly storage = new AsyncLocalStorage<Context>();
  private readonly async: boolean;
  /** whether `storage` is enabled (its async hooks run) */
  private propagating = false;
  /** the context of a `with` running outside the storage, for its synchronous part */
  private current: Context | undefined;
  /** sampled spans started and not yet ended */
  private open = 0;
  private switchOffPending = false;

  constructor({ async = true }: SampledContextOptions = {}) {
    this.async = async;
  }

  /** Whether contexts currently travel across async hops (the storage and its hooks are on). */
  get isPropagating(): boolean {
    return this.propagating;
  }

  active(): Context {
    return this.current ?? (this.propagating ? this.storage.getStore() : undefined) ?? ROOT_CONTEXT;
  }

  with<A extends unknown[], F extends (...args: A) => ReturnType<F>>(
    context: Context,
    fn: F,
    thisArg?: ThisParameterType<F>,
    ...args: A
  ): ReturnType<F> {
    const cb = thisArg == null ? fn : (fn.bind(thisArg) as F);
    const outer = this.current;
    if (this.propagating || (this.async && isSampled(context))) {
      this.propagating = true;
      this.current = undefined;
      try {
        return this.storage.run(context, cb, ...args);
      } finally {
        this.current = outer;
      }
    }
    this.current = context;
    try {
      return cb(...args);
    } finally {
      this.current = outer;
    }
  }

  bind<T>(context: Context, target: T): T {
    if (typeof target !== 'function') return target;
    const manager = this;
    const fn = target as unknown as (...args: unknown[]) => unknown;
    return function (this: unknown, ...args: unknown[]) {
      return manager.with(context, () => fn.apply(this, args));
    } as unknown as T;
  }

  enable(): this {
    return this;
  }

  disable(): this {
    this.storage.disable();
    this.propagating = false;
    this.current = undefined;
    return this;
  }

  /** A sampled span started (called by `SampledSpanTracker`). */
  spanStarted(): void {
    this.open += 1;
  }

  /** A sampled span ended: with none left open, the storage goes off at the next turn of the event loop. */
  spanEnded(): void {
    this.open = Math.max(0, this.open - 1);
    if (this.open > 0 || !this.propagating || this.switchOffPending) return;
    this.switchOffPending = true;
    // not now: the span may end inside a `with` of its own trace, whose synchronous rest still reads it
    setImmediate(() => {
      this.switchOffPending = false;
      if (this.open > 0) return;
      this.storage.disable();
      this.propagating = false;
    }).unref();
  }
}

/** The span processor that tells the context manager when sampled spans start and end. */
export class SampledSpanTracker {
  constructor(private readonly manager: SampledContextManager) {}
  onStart(): void {
    this.manager.spanStarted();
  }
  onEnd(): void {
    this.manager.spanEnded();
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
