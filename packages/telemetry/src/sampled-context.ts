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
 *   span is open (`SampledSpanTracker`, a span processor, counts them);
 * - a context marked `carriedByHand` never enters it: its work hands the context on itself.
 * A continuation of sampled work that runs after its last span ended sees the root context: it could only
 * have made orphans.
 *
 * Most work then runs in the root context, and this package's helpers ask for the active context on every
 * frame and every delivery. `activeContext()` answers that without the API (whose `context.active()` looks
 * the manager up in a global and checks its version each time): while no manager has a context active,
 * it is the root context.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import {
  type Context,
  type ContextManager,
  context,
  createContextKey,
  ROOT_CONTEXT,
  TraceFlags,
  trace,
} from '@opentelemetry/api';

/** True when `ctx` carries a span context whose trace is sampled (a recording span, or a remote parent). */
export function isSampled(ctx: Context): boolean {
  if (ctx === ROOT_CONTEXT) return false;
  const spanContext = trace.getSpanContext(ctx);
  return spanContext !== undefined && (spanContext.traceFlags & TraceFlags.SAMPLED) !== 0;
}

const BY_HAND = createContextKey('coffeechat: carried past awaits by hand');

/**
 * `ctx` marked as carried past its awaits by the code that works in it (and every context made from it,
 * a child span's included): the manager makes it active for the synchronous part of a `with` only, sampled
 * or not, so its work never turns AsyncLocalStorage on (the router's partition deliveries, whose batch
 * hands its trace to the store and to each publication itself).
 */
export function carriedByHand(ctx: Context): Context {
  return ctx.setValue(BY_HAND, true);
}

/**
 * Over every manager of the process: `with`s running synchronously outside a storage, and storages on.
 * While both are 0 nothing but the root context can be active.
 */
let entered = 0;
let propagatingStorages = 0;

/**
 * The active context, as `context.active()` gives it, but the root context without asking the API while
 * no `SampledContextManager` has anything active. The helpers of this package rely on the process running
 * that manager (`startTelemetry` installs it; with tracing off nothing is ever active).
 */
export function activeContext(): Context {
  return entered === 0 && propagatingStorages === 0 ? ROOT_CONTEXT : context.active();
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
    const byHand = context.getValue(BY_HAND) === true;
    if (!byHand && (this.propagating || (this.async && isSampled(context)))) {
      this.switchOn();
      this.current = undefined;
      try {
        return this.storage.run(context, cb, ...args);
      } finally {
        this.current = outer;
      }
    }
    this.current = context;
    entered += 1;
    try {
      return cb(...args);
    } finally {
      entered -= 1;
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
    this.switchOff();
    this.current = undefined;
    return this;
  }

  private switchOn(): void {
    if (this.propagating) return;
    this.propagating = true;
    propagatingStorages += 1;
  }

  private switchOff(): void {
    this.storage.disable();
    if (!this.propagating) return;
    this.propagating = false;
    propagatingStorages -= 1;
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
      if (this.open === 0) this.switchOff();
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
