/**
 * Small SVG line charts for the reports: latency percentiles over time and latency CDFs on the
 * usual HdrHistogram "nines" axis. Pure string building, no dependencies; log-scaled latency.
 */

export interface Point {
  x: number;
  y: number;
}

export interface Series {
  label: string;
  points: Point[];
  color?: string;
  dashed?: boolean;
}

export interface Band {
  from: number;
  to: number;
  label: string;
}

export interface PanelSpec {
  title: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  /** shaded x ranges with a label (the phases of a run) */
  bands?: Band[];
  /** vertical lines with a label (events such as a kill) */
  markers?: { x: number; label: string }[];
  /** a linear y axis from 0 (counts, bytes) instead of the log latency axis */
  linearY?: boolean;
  /** x positions given as nines: x = -log10(1 - percentile/100) */
  ninesX?: boolean;
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#17becf'];
const W = 960;
const H = 360;
const M = { left: 70, right: 180, top: 34, bottom: 46 };

const esc = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
const fmt = (v: number) =>
  v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v >= 1 ? v.toFixed(2) : v.toPrecision(2);

/** -log10(1 - p/100), capped so that p = 100 stays on the chart */
export const nines = (percentile: number): number => -Math.log10(Math.max(1e-6, 1 - percentile / 100));

function panel(spec: PanelSpec, offsetY: number): string {
  const pts = spec.series.flatMap((s) => s.points).filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y));
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const out: string[] = [`<g transform="translate(0,${offsetY})">`];
  out.push(`<text x="${M.left}" y="20" font-size="15" font-weight="bold">${esc(spec.title)}</text>`);
  if (pts.length === 0) {
    out.push(`<text x="${M.left + 20}" y="${M.top + 40}" font-size="13">no data</text></g>`);
    return out.join('\n');
  }
  const xMin = Math.min(...pts.map((p) => p.x));
  const xMax = Math.max(xMin + 1e-9, ...pts.map((p) => p.x));
  const sx = (x: number) => M.left + ((x - xMin) / (xMax - xMin)) * plotW;
  const yAxis = spec.linearY ? linearAxis(pts.map((p) => p.y)) : logAxis(pts.map((p) => p.y));
  const sy = (y: number) => M.top + plotH - yAxis.fraction(y) * plotH;

  for (const [i, b] of (spec.bands ?? []).entries()) {
    const x0 = sx(Math.max(b.from, xMin));
    const x1 = sx(Math.min(b.to, xMax));
    if (x1 <= x0) continue;
    out.push(
      `<rect x="${x0.toFixed(1)}" y="${M.top}" width="${(x1 - x0).toFixed(1)}" height="${plotH}" fill="${i % 2 ? '#f3f3f3' : '#e8eef7'}"/>`,
    );
    out.push(`<text x="${(x0 + 3).toFixed(1)}" y="${M.top + 12}" font-size="10" fill="#555">${esc(b.label)}</text>`);
  }
  // grid: decades (log) or about six steps (linear) on y, about eight ticks on x
  for (const v of yAxis.ticks) {
    const y = sy(v);
    out.push(`<line x1="${M.left}" x2="${M.left + plotW}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#ddd"/>`);
    out.push(`<text x="${M.left - 6}" y="${(y + 4).toFixed(1)}" font-size="11" text-anchor="end">${fmt(v)}</text>`);
  }
  const xTicks: { v: number; label: string }[] = [];
  if (spec.ninesX) {
    for (const [v, label] of [
      [0, '0%'],
      [1, '90%'],
      [2, '99%'],
      [3, '99.9%'],
      [4, '99.99%'],
      [5, '99.999%'],
    ] as const) {
      if (v <= xMax + 1e-9) xTicks.push({ v, label });
    }
  } else {
    const step = niceStep((xMax - xMin) / 8);
    for (let v = Math.ceil(xMin / step) * step; v <= xMax + 1e-9; v += step) xTicks.push({ v, label: fmt(v) });
  }
  for (const t of xTicks) {
    const x = sx(t.v);
    out.push(`<line x1="${x.toFixed(1)}" x2="${x.toFixed(1)}" y1="${M.top}" y2="${M.top + plotH}" stroke="#eee"/>`);
    out.push(
      `<text x="${x.toFixed(1)}" y="${M.top + plotH + 16}" font-size="11" text-anchor="middle">${esc(t.label)}</text>`,
    );
  }
  out.push(`<rect x="${M.left}" y="${M.top}" width="${plotW}" height="${plotH}" fill="none" stroke="#888"/>`);
  out.push(
    `<text x="${M.left + plotW / 2}" y="${M.top + plotH + 36}" font-size="12" text-anchor="middle">${esc(spec.xLabel)}</text>`,
  );
  out.push(
    `<text transform="translate(16,${M.top + plotH / 2}) rotate(-90)" font-size="12" text-anchor="middle">${esc(spec.yLabel)}</text>`,
  );

  for (const m of spec.markers ?? []) {
    if (m.x < xMin || m.x > xMax) continue;
    const x = sx(m.x).toFixed(1);
    out.push(`<line x1="${x}" x2="${x}" y1="${M.top}" y2="${M.top + plotH}" stroke="#000" stroke-dasharray="2,3"/>`);
    out.push(
      `<text x="${x}" y="${M.top + plotH - 6}" font-size="10" transform="rotate(-90 ${x} ${M.top + plotH - 6})" dx="2" dy="-3">${esc(m.label)}</text>`,
    );
  }
  spec.series.forEach((s, i) => {
    const color = s.color ?? PALETTE[i % PALETTE.length];
    const path = s.points
      .filter((p) => Number.isFinite(p.x) && Number.isFinite(p.y) && (spec.linearY ? p.y >= 0 : p.y > 0))
      .map((p, j) => `${j === 0 ? 'M' : 'L'}${sx(p.x).toFixed(1)},${sy(p.y).toFixed(1)}`)
      .join(' ');
    if (path)
      out.push(
        `<path d="${path}" fill="none" stroke="${color}" stroke-width="1.6"${s.dashed ? ' stroke-dasharray="5,3"' : ''}/>`,
      );
    const ly = M.top + 10 + i * 18;
    out.push(
      `<line x1="${W - M.right + 12}" x2="${W - M.right + 34}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"${s.dashed ? ' stroke-dasharray="5,3"' : ''}/>`,
    );
    out.push(`<text x="${W - M.right + 40}" y="${ly + 4}" font-size="11">${esc(s.label)}</text>`);
  });
  out.push('</g>');
  return out.join('\n');
}

interface Axis {
  /** 0 at the bottom of the plot, 1 at the top */
  fraction(v: number): number;
  ticks: number[];
}

function logAxis(values: number[]): Axis {
  const positive = values.filter((y) => y > 0);
  const min = Math.floor(Math.log10(Math.max(0.01, Math.min(...positive, 1))));
  const max = Math.max(min + 1, Math.ceil(Math.log10(Math.max(...positive, 1)) + 0.1));
  const ticks: number[] = [];
  for (let d = min; d <= max; d++) ticks.push(10 ** d);
  return { fraction: (v) => (Math.log10(Math.max(v, 10 ** min)) - min) / (max - min), ticks };
}

function linearAxis(values: number[]): Axis {
  const top = Math.max(1, ...values);
  const step = niceStep(top / 6);
  const max = Math.ceil(top / step) * step;
  const ticks: number[] = [];
  for (let v = 0; v <= max + 1e-9; v += step) ticks.push(v);
  return { fraction: (v) => Math.max(0, v) / max, ticks };
}

function niceStep(raw: number): number {
  if (!(raw > 0)) return 1;
  const p = 10 ** Math.floor(Math.log10(raw));
  const f = raw / p;
  return (f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10) * p;
}

/** A standalone SVG document with the panels stacked vertically. */
export function chart(title: string, panels: PanelSpec[]): string {
  const height = 30 + panels.length * H;
  const body = panels.map((p, i) => panel(p, 30 + i * H)).join('\n');
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" viewBox="0 0 ${W} ${height}" font-family="sans-serif">`,
    `<rect width="${W}" height="${height}" fill="white"/>`,
    `<text x="${W / 2}" y="20" font-size="16" text-anchor="middle" font-weight="bold">${esc(title)}</text>`,
    body,
    '</svg>',
    '',
  ].join('\n');
}
