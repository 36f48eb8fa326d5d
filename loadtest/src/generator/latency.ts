/**
 * Latency recording with HdrHistogram (hdr-histogram-js): values in microseconds, 3 significant
 * digits; histograms travel between processes as compressed base64 and merge by addition.
 */
import * as hdr from 'hdr-histogram-js';

export type Histogram = hdr.Histogram;

export interface LatencySummary {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  p999: number;
  max: number;
}

/** up to one hour in µs; auto-resize covers anything longer */
export const newHistogram = (): Histogram =>
  hdr.build({ lowestDiscernibleValue: 1, highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: 3 });

export function recordMs(h: Histogram, ms: number): void {
  h.recordValue(Math.max(1, Math.round(ms * 1000)));
}

export const encode = (h: Histogram): string => hdr.encodeIntoCompressedBase64(h);
export const decode = (s: string): Histogram => hdr.decodeFromCompressedBase64(s);

const ms = (us: number) => Math.round(us) / 1000;

/** Percentiles in milliseconds (zeros for an empty histogram). */
export function summarize(h: Histogram): LatencySummary {
  if (h.totalCount === 0) return { count: 0, p50: 0, p90: 0, p99: 0, p999: 0, max: 0 };
  return {
    count: h.totalCount,
    p50: ms(h.getValueAtPercentile(50)),
    p90: ms(h.getValueAtPercentile(90)),
    p99: ms(h.getValueAtPercentile(99)),
    p999: ms(h.getValueAtPercentile(99.9)),
    max: ms(h.maxValue),
  };
}

/** Points of the cumulative distribution, denser towards the tail (for the CDF chart). */
export function cdf(h: Histogram): { percentile: number; ms: number }[] {
  if (h.totalCount === 0) return [];
  const percentiles: number[] = [];
  for (let p = 0; p < 90; p += 2.5) percentiles.push(p);
  for (const nines of [90, 95, 97.5, 99, 99.5, 99.9, 99.95, 99.99, 99.999, 100]) percentiles.push(nines);
  return percentiles.map((percentile) => ({ percentile, ms: ms(h.getValueAtPercentile(percentile)) }));
}

/** The sum of several histograms (a new one). */
export function merge(histograms: Iterable<Histogram>): Histogram {
  const out = newHistogram();
  for (const h of histograms) out.add(h);
  return out;
}
