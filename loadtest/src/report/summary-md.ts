/** The Markdown summary written next to each JSON report. */
import type { HopStats } from '../probes/hop-metrics.js';
import type { Report, StepResult } from './report.js';
import { busiest } from './report.js';

const mib = (b: number) => `${(b / 1024 / 1024).toFixed(0)} MiB`;

function stepRow(s: StepResult): string {
  const l = s.latencyMs;
  return `| ${s.system} | ${s.rate} | ${s.messagesPerSec} | ${s.throughput} | ${l.p50} | ${l.p90} | ${l.p99} | ${l.p999} | ${l.max} | ${s.ackLatencyMs.p99} | ${s.lost} | ${s.late} | ${s.duplicates} | ${s.orderViolations} | ${s.unacked} | ${s.good ? 'good' : s.sustained ? `sustained; ${s.why.join('; ')}` : `not sustained: ${s.why.join('; ')}`} | ${busiest(s.processes)} |`;
}

function value(v: unknown): string {
  if (v === null || v === undefined) return '—';
  if (typeof v === 'object') return `\`${JSON.stringify(v)}\``;
  return String(v);
}

export function summaryMarkdown(r: Report, chartFile: string): string {
  const m = r.machine;
  const lines: string[] = [
    `# ${r.results.fault ? 'Fault' : 'Benchmark'} \`${r.scenario}\` — ${r.startedAt}`,
    '',
    `**${r.passed ? 'PASSED' : 'FAILED'}**${r.failures.length ? `: ${r.failures.join('; ')}` : ''}`,
    '',
    `Machine: ${m.cpus} × ${m.cpuModel}, ${mib(m.memoryBytes)}, ${m.os}, Node ${m.node}; ${m.rabbitmq ?? 'no broker'}, ${m.store ?? 'no store'}, ${m.redis ?? 'no Redis'}; load average at start ${m.loadAvg1m}.`,
    '',
    `Parameters: ${Object.entries(r.params)
      .filter(([, v]) => !(Array.isArray(v) && v.length === 0) && v !== undefined)
      .map(([k, v]) => `${k}=${Array.isArray(v) ? v.join(',') : v}`)
      .join(', ')}`,
    '',
    `Duration ${r.durationSec} s. Sent ${r.sent}, acked ${r.acked}, delivered ${r.delivered} of ${r.expectedDeliveries} expected; lost ${r.lost}, duplicates ${r.duplicates}, order violations ${r.orderViolations}, not acked by the end of the drain ${r.unacked}. Throughput ${r.throughput} deliveries/s.`,
    '',
    `send→deliver ms: p50 ${r.latencyMs.p50}, p90 ${r.latencyMs.p90}, p99 ${r.latencyMs.p99}, p99.9 ${r.latencyMs.p999}, max ${r.latencyMs.max} (${r.latencyMs.count} deliveries); send→ack p99 ${r.ackLatencyMs.p99} ms.`,
    '',
  ];
  if (r.connect) {
    lines.push(
      `Connections: ${r.connect.connected} connected, ${r.connect.failed} failed (${r.connect.failedAttempts} failed attempts, retried), ${r.connect.perSec}/s, connect→hello p99 ${r.connect.latencyMs.p99} ms.${r.gatewayBytesPerConnection !== null ? ` Gateway memory per connection: ${(r.gatewayBytesPerConnection / 1024).toFixed(1)} KiB.` : ''}`,
      '',
    );
  }
  if (r.generator.warning) lines.push(`> **Generator warning:** ${r.generator.warning}`, '');
  if (r.steps.length) {
    lines.push(
      '| system | target msg/s | acked msg/s | deliveries/s | p50 | p90 | p99 | p99.9 | max | ack p99 | lost | late | dup | reorder | unacked | verdict | busiest processes (CPU % of a core) |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|',
      ...r.steps.map(stepRow),
      '',
    );
  }
  const withHops = r.steps.filter((s) => s.hops);
  if (withHops.length) {
    lines.push(
      '### Where the time went (the services’ own histograms during each step: mean / p50 / p99 ms, p50 and p99 as coarse as the buckets)',
      '',
      '| system | msg/s | inbound queue wait | router store | router publish→confirm | router batch | batch size (mean) | messages per store insert (mean) | router→gateway delivery | gateway send→ack | max inbound queue depth |',
      '|---|---|---|---|---|---|---|---|---|---|---|',
      ...withHops.map((s) => {
        const h = s.hops;
        const v = (x: number | null | undefined) => (x === null || x === undefined ? '—' : String(x));
        const hop = (x: HopStats | null | undefined) => (x ? `${x.mean} / ${v(x.p50)} / ${v(x.p99)}` : '—');
        return `| ${s.system} | ${s.rate} | ${hop(h?.inboundQueue)} | ${hop(h?.store)} | ${hop(h?.publish)} | ${hop(h?.storeBatch)} | ${v(h?.batchSize?.mean)} | ${v(h?.insertSize?.mean)} | ${hop(h?.delivery)} | ${hop(h?.gatewaySendToAck)} | ${v(s.maxInboundQueueDepth)} |`;
      }),
      '',
    );
  }
  if (Object.keys(r.results).length) {
    lines.push('## Results', '', ...Object.entries(r.results).map(([k, v]) => `- **${k}**: ${value(v)}`), '');
  }
  if (r.targets.length) {
    lines.push('## Targets', '', '| target | actual | met |', '|---|---|---|');
    for (const t of r.targets)
      lines.push(`| ${t.target} | ${t.actual} | ${t.met === null ? 'n/a' : t.met ? 'yes' : '**no**'} |`);
    lines.push('');
  }
  lines.push(
    '## Processes (whole run)',
    '',
    '| process | CPU avg % | CPU max % | RSS end | RSS max |',
    '|---|---|---|---|---|',
  );
  for (const p of r.processes)
    lines.push(`| ${p.name} | ${p.cpuPct} | ${p.maxCpuPct} | ${mib(p.rssBytes)} | ${mib(p.maxRssBytes)} |`);
  lines.push('');
  if (Object.keys(r.errors).length)
    lines.push(
      `Errors received: ${value(r.errors)}; generator retries ${r.retries}; disconnects ${r.disconnects}.`,
      '',
    );
  if (r.notes.length) lines.push('## Notes', '', ...r.notes.map((n) => `- ${n}`), '');
  lines.push(`![latency](${chartFile})`, '');
  return lines.join('\n');
}
