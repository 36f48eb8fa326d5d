/**
 * The context manager: a sampled context follows the work across awaits, an unsampled one is active only
 * while its callback runs synchronously, and AsyncLocalStorage (with its hooks on every promise) is on only
 * while sampled spans are open.
 */
import { type Context, context, createContextKey, ROOT_CONTEXT, TraceFlags, trace } from '@opentelemetry/api';
import { describe, expect, it } from 'vitest';
import {
  activeContext,
  carriedByHand,
  isSampled,
  SampledContextManager,
  SampledSpanTracker,
} from './sampled-context.js';

const spanContext = (flags: TraceFlags) =>
  trace.setSpanContext(ROOT_CONTEXT, {
    traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
    spanId: '00f067aa0ba902b7',
    traceFlags: flags,
  });
const sampled = spanContext(TraceFlags.SAMPLED);
const unsampled = spanContext(TraceFlags.NONE);
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));
/** The context `manager` has active in `ctx`'s callback before and after an await. */
const beforeAndAfterAwait = (manager: SampledContextManager, ctx: Context) =>
  manager.with(ctx, async () => {
    const before = manager.active();
    await Promise.resolve();
    return [before, manager.active()];
  });

describe('SampledContextManager', () => {
  it('tells sampled contexts from the others', () => {
    expect(isSampled(sampled)).toBe(true);
    expect(isSampled(unsampled)).toBe(false);
    expect(isSampled(ROOT_CONTEXT)).toBe(false);
  });

  it('keeps a sampled context across awaits, and nests', async () => {
    const manager = new SampledContextManager();
    const inner = sampled.setValue(createContextKey('k'), 1);
    const seen = await manager.with(sampled, async () => {
      await Promise.resolve();
      const outer = manager.active();
      const nested = await manager.with(inner, async () => {
        await nextTurn();
        return manager.active();
      });
      return [outer, nested, manager.active()];
    });
    expect(seen).toEqual([sampled, inner, sampled]);
    expect(manager.active()).toBe(ROOT_CONTEXT);
    manager.disable();
  });

  it('makes an unsampled context active only for the synchronous part, without AsyncLocalStorage', async () => {
    const manager = new SampledContextManager();
    let during: unknown;
    const after = await manager.with(unsampled, async () => {
      during = manager.active();
      await Promise.resolve();
      return manager.active();
    });
    expect(during).toBe(unsampled);
    expect(after).toBe(ROOT_CONTEXT);
    expect(manager.isPropagating).toBe(false);
  });

  it('switches AsyncLocalStorage on for sampled spans and off once none is open', async () => {
    const manager = new SampledContextManager();
    const tracker = new SampledSpanTracker(manager);
    tracker.onStart();
    await manager.with(sampled, async () => {
      tracker.onStart();
      await Promise.resolve();
      tracker.onEnd();
    });
    expect(manager.isPropagating).toBe(true);
    await nextTurn();
    expect(manager.isPropagating).toBe(true); // one span still open
    tracker.onEnd();
    await nextTurn();
    expect(manager.isPropagating).toBe(false);
    expect(manager.active()).toBe(ROOT_CONTEXT);
    // on again for the next sampled work
    const again = await manager.with(sampled, async () => {
      await Promise.resolve();
      return manager.active();
    });
    expect(again).toBe(sampled);
    manager.disable();
  });

  it('while on, an unsampled context inside sampled work follows its own callback, not the outer trace', async () => {
    const manager = new SampledContextManager();
    const tracker = new SampledSpanTracker(manager);
    tracker.onStart();
    const seen = await manager.with(sampled, () =>
      manager.with(unsampled, async () => {
        await Promise.resolve();
        return manager.active();
      }),
    );
    expect(seen).toBe(unsampled);
    tracker.onEnd();
    manager.disable();
  });

  it('without async propagation, keeps even a sampled context to the synchronous part', async () => {
    const manager = new SampledContextManager({ async: false });
    expect(await beforeAndAfterAwait(manager, sampled)).toEqual([sampled, ROOT_CONTEXT]);
    expect(manager.isPropagating).toBe(false);
  });

  it('keeps a sampled context carried by hand to the synchronous part, even while the storage is on', async () => {
    const manager = new SampledContextManager();
    const byHand = carriedByHand(sampled);
    expect(isSampled(byHand)).toBe(true);
    expect(await beforeAndAfterAwait(manager, byHand)).toEqual([byHand, ROOT_CONTEXT]);
    expect(manager.isPropagating).toBe(false);
    // inside sampled work that does follow its awaits, the outer context comes back after an await
    const tracker = new SampledSpanTracker(manager);
    tracker.onStart();
    const inside = await manager.with(sampled, () => beforeAndAfterAwait(manager, byHand));
    expect(inside).toEqual([byHand, sampled]);
    tracker.onEnd();
    manager.disable();
  });

  it('answers the active context without the API while nothing is active, and as the API does otherwise', async () => {
    const manager = new SampledContextManager();
    context.setGlobalContextManager(manager);
    const tracker = new SampledSpanTracker(manager);
    try {
      expect(activeContext()).toBe(ROOT_CONTEXT);
      expect(manager.with(unsampled, () => activeContext())).toBe(unsampled);
      tracker.onStart();
      const across = await manager.with(sampled, async () => {
        await nextTurn();
        return activeContext();
      });
      expect(across).toBe(sampled);
      tracker.onEnd();
      await nextTurn();
      expect(manager.isPropagating).toBe(false);
      expect(activeContext()).toBe(ROOT_CONTEXT);
    } finally {
      context.disable();
      manager.disable();
    }
  });

  it('binds functions to a context', () => {
    const manager = new SampledContextManager();
    const bound = manager.bind(unsampled, () => manager.active());
    expect(bound()).toBe(unsampled);
    expect(manager.active()).toBe(ROOT_CONTEXT);
  });
});
