/** Sums the samples of one metric in a Prometheus text exposition (all label sets). */
export function metricSum(text: string, name: string): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.slice(name.length);
    if (rest[0] !== ' ' && rest[0] !== '{') continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) sum += value;
  }
  return sum;
}

export async function scrape(port: number | undefined, name: string): Promise<number> {
  if (port === undefined) return 0;
  try {
    return metricSum(await (await fetch(`http://127.0.0.1:${port}/metrics`)).text(), name);
  } catch {
    return 0;
  }
}
