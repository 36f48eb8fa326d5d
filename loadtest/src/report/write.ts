/** Writes a report as JSON, its Markdown summary and its SVG chart into loadtest/reports/. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { lastGood, type Report, type StepResult } from './report.js';
import { summaryMarkdown } from './summary-md.js';
import { chart, nines, type Series } from './svg-chart.js';

export const REPORTS_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', 'reports');

/** One CDF per system: its last good step, else its first step. */
function cdfSteps(steps: readonly StepResult[]): StepResult[] {
  const systems = [...new Set(steps.map((s) => s.system))];
  return systems.flatMap((system) => {
    const own = steps.filter((s) => s.system === system);
    const pick = lastGood(own) ?? own[0];
    return pick ? [pick] : [];
  });
}

/** Idle connections: how many were open over time, and what the gateways held in memory. */
function connectionsChart(r: Report): string {
  const gateways = Object.entries(r.processSeries).filter(([name]) => name.startsWith('gateway'));
  return chart(`${r.scenario} — ${r.startedAt}`, [
    {
      title: 'open connections',
      xLabel: 'seconds since start',
      yLabel: 'connections',
      linearY: true,
      series: [{ label: 'connected', points: r.timeline.map((p) => ({ x: p.t, y: p.connected })) }],
    },
    {
      title: 'gateway resident memory',
      xLabel: 'seconds since start',
      yLabel: 'MiB',
      linearY: true,
      series: gateways.map(([name, samples]) => ({
        label: name,
        points: samples.map((x) => ({ x: x.t, y: x.rssBytes / 1024 / 1024 })),
      })),
    },
  ]);
}

export function reportChart(r: Report): string {
  if (r.scenario === 'connections') return connectionsChart(r);
  const t = r.timeline.filter((p) => p.deliver.count > 0);
  const over: Series[] = [
    { label: 'p50', points: t.map((p) => ({ x: p.t, y: p.deliver.p50 })) },
    { label: 'p90', points: t.map((p) => ({ x: p.t, y: p.deliver.p90 })) },
    { label: 'p99', points: t.map((p) => ({ x: p.t, y: p.deliver.p99 })) },
    { label: 'max', points: t.map((p) => ({ x: p.t, y: p.deliver.max })) },
    { label: 'ack p99', points: t.map((p) => ({ x: p.t, y: p.ack.p99 })), dashed: true },
  ];
  const cdfs: Series[] = cdfSteps(r.steps).map((s) => ({
    label: `${s.system} @${s.rate}/s`,
    points: s.cdf.map((c) => ({ x: nines(c.percentile), y: c.ms })),
  }));
  return chart(`${r.scenario} — ${r.startedAt}`, [
    {
      title: 'send→deliver latency per second',
      xLabel: 'seconds since start',
      yLabel: 'ms (log)',
      series: over,
      bands: r.steps.map((s, i) => ({
        from: s.from,
        to: s.to,
        // the system's name on its first step only, so the labels of narrow steps stay readable
        label: i === 0 || r.steps[i - 1]?.system !== s.system ? `${s.system} ${s.rate}/s` : `${s.rate}`,
      })),
      markers: r.events.map((e) => ({ x: e.t, label: e.label })),
    },
    {
      title: 'send→deliver latency distribution (CDF)',
      xLabel: 'percentile',
      yLabel: 'ms (log)',
      series: cdfs,
      ninesX: true,
    },
  ]);
}

export function writeReport(r: Report, dir = REPORTS_DIR): { json: string; md: string; svg: string } {
  mkdirSync(dir, { recursive: true });
  const stamp = r.startedAt.replace(/[:.]/g, '-');
  const base = path.join(dir, `${r.scenario}-${stamp}`);
  const files = { json: `${base}.json`, md: `${base}.md`, svg: `${base}.svg` };
  writeFileSync(files.json, `${JSON.stringify(r, null, 2)}\n`);
  writeFileSync(files.svg, reportChart(r));
  writeFileSync(files.md, summaryMarkdown(r, path.basename(files.svg)));
  return files;
}
