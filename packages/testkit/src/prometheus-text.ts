/**
 * Reads a `/metrics` page (Prometheus text format 0.0.4) so tests can assert that metric families moved
 * and that no label carries an id.
 */
export interface Sample {
  /** the series name as written, e.g. `coffeechat_gateway_send_ack_seconds_count` */
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE = /^(?<name>[a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(?<labels>.*)\})?\s+(?<value>\S+)(?:\s+-?\d+)?$/;
const LABEL = /(?<label>[a-zA-Z_][a-zA-Z0-9_]*)="(?<value>(?:[^"\\]|\\.)*)"\s*,?\s*/g;

const unescapeLabel = (v: string) => v.replace(/\\(.)/g, (_m, c: string) => (c === 'n' ? '\n' : c));

export function parsePrometheusText(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const sample = SAMPLE.exec(line)?.groups;
    if (!sample?.name || !sample.value) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const { groups } of (sample.labels ?? '').matchAll(LABEL)) {
      if (groups?.label) labels[groups.label] = unescapeLabel(groups.value ?? '');
    }
    samples.push({ name: sample.name, labels, value: Number(sample.value) });
  }
  return samples;
}

export async function scrapeMetrics(port: number): Promise<Sample[]> {
  const res = await fetch(`http://127.0.0.1:${port}/metrics`);
  if (res.status !== 200) throw new Error(`/metrics on port ${port} answered ${res.status}`);
  return parsePrometheusText(await res.text());
}

/** Sum of the samples named `name` (all label combinations) whose labels include `where`. */
export function sampleSum(samples: readonly Sample[], name: string, where: Record<string, string> = {}): number {
  return samples
    .filter((s) => s.name === name && Object.entries(where).every(([k, v]) => s.labels[k] === v))
    .reduce((sum, s) => sum + s.value, 0);
}

/** The sum of a metric on a service's /metrics; 0 when it cannot be read (the process is gone). */
export async function scrapeSum(port: number | undefined, name: string): Promise<number> {
  if (port === undefined) return 0;
  return sampleSum(await scrapeMetrics(port).catch(() => []), name);
}

const ID_SHAPED = [
  /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i, // UUID
  /^[0-9a-f]{16,}$/i, // ObjectId, hashes, random hex
  /^[A-Za-z0-9_-]{21,}$/, // nanoid-style and base64url ids
];

/**
 * Labels that carry ids: any value equal to or containing one of `knownIds` (the ids the test used), and
 * any value shaped like an id. `le`/`quantile` are bucket bounds, not labels with ids.
 */
export function idLabels(samples: readonly Sample[], knownIds: readonly string[]): string[] {
  const found = new Set<string>();
  for (const s of samples) {
    for (const [label, value] of Object.entries(s.labels)) {
      if (label === 'le' || label === 'quantile') continue;
      if (knownIds.some((id) => value.includes(id)) || ID_SHAPED.some((re) => re.test(value))) {
        found.add(`${s.name}{${label}="${value}"}`);
      }
    }
  }
  return [...found];
}
