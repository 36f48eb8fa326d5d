/** The table of a fault run (summary.md and the console): one row per fault, each target met or missed. Pure. */
import type { Report } from '../report/report.js';

export interface FaultRow {
  fault: string;
  report?: Report;
  /** why the run itself failed (no report) */
  error?: string;
}

const num = (x: unknown) => (typeof x === 'number' ? String(x) : x === null ? 'never' : '–');

export function summaryTable(rows: readonly FaultRow[]): string {
  const lines = [
    '| fault | lost | dup | reorder | unacked | outage s | slowest delivery s | new join after s | verdict |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const row of rows) {
    const r = row.report;
    if (!r) {
      lines.push(`| ${row.fault} | | | | | | | | run failed: ${row.error ?? '?'} |`);
      continue;
    }
    const res = r.results;
    const missed = r.targets.filter((t) => t.met === false).map((t) => t.target);
    const slowest = typeof res.slowestDeliveryMs === 'number' ? Math.round(res.slowestDeliveryMs / 100) / 10 : null;
    const verdict = missed.length ? `missed: ${missed.join('; ')}` : 'all targets met';
    const flag = r.generator.saturatedSeconds > 1 ? ' (generator saturated)' : '';
    lines.push(
      `| ${row.fault} | ${r.lost} | ${r.duplicates} | ${r.orderViolations} | ${r.unacked} | ${num(res.outageSec)} | ${num(slowest)} | ${num(res.joinRecoverySec)} | ${verdict}${flag} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}
