/**
 * Factories for the domain metrics the services share, so latency and batch histograms have the same
 * buckets everywhere (the dashboards and alert rules compare them across services) and no metric gets a
 * label that could take an id as value.
 */
import { Histogram, type Registry } from 'prom-client';

/** Seconds; dense from 1 ms to 100 ms where chat latency lives, then coarse up to 10 s. */
export const LATENCY_BUCKETS: readonly number[] = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** Messages per batch; the router closes a batch at 100. */
export const BATCH_SIZE_BUCKETS: readonly number[] = [1, 2, 5, 10, 20, 50, 100, 200];

const NAME = /^coffeechat_[a-z][a-z0-9_]*$/;
// Labels whose values would be ids (one series per user, room, connection, post, message): unbounded.
const UNBOUNDED_LABEL = /(^|_)(id|ids|user|room|conn|connection|post|message|msg|client|session|token)$/i;

/** Throws unless `name` is `coffeechat_*` and no label name reads like an id. */
export function checkMetricShape(name: string, labelNames: readonly string[] = []): void {
  if (!NAME.test(name)) throw new Error(`metric ${name}: domain metrics are named coffeechat_<snake_case>`);
  for (const label of labelNames) {
    if (UNBOUNDED_LABEL.test(label) || /Id$/.test(label)) {
      throw new Error(`metric ${name}: label "${label}" would carry ids; labels must have a small fixed set of values`);
    }
  }
}

export interface HistogramSpec<L extends string> {
  name: string;
  help: string;
  labelNames?: readonly L[];
  registry: Registry;
}

function histogram<L extends string>(
  { name, help, labelNames = [], registry }: HistogramSpec<L>,
  buckets: readonly number[],
): Histogram<L> {
  checkMetricShape(name, labelNames);
  return new Histogram<L>({ name, help, labelNames, buckets: [...buckets], registers: [registry] });
}

/** A latency histogram in seconds with `LATENCY_BUCKETS`; observe with `observeSince`. */
export function latencyHistogram<L extends string = never>(spec: HistogramSpec<L>): Histogram<L> {
  if (!spec.name.endsWith('_seconds')) throw new Error(`metric ${spec.name}: latency histograms end in _seconds`);
  return histogram(spec, LATENCY_BUCKETS);
}

/** A histogram of batch sizes with `BATCH_SIZE_BUCKETS`. */
export function batchSizeHistogram<L extends string = never>(spec: HistogramSpec<L>): Histogram<L> {
  return histogram(spec, BATCH_SIZE_BUCKETS);
}

/** Seconds since `startMs` (a `Date.now()` or an epoch-ms timestamp carried in a message), never negative. */
export function secondsSince(startMs: number, nowMs = Date.now()): number {
  return Math.max(0, nowMs - startMs) / 1000;
}
