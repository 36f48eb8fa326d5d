/**
 * The operations files in deploy/prometheus and deploy/grafana: promtool validates the scrape config, the
 * alert rules (and runs their unit tests, alerts.test.yml) and every dashboard query; the dashboard's
 * structure is checked too. `npm test` builds the pinned promtool (scripts/go-tools.mjs) and passes it in
 * PROMTOOL; a run without it (vitest started by hand, no promtool on PATH) skips those tests.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const DEPLOY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'deploy');
const PROMTOOL = process.env.PROMTOOL ?? 'promtool';
// given by `npm test`: it must run; otherwise only when one is on PATH
const promtool =
  process.env.PROMTOOL !== undefined || spawnSync(PROMTOOL, ['--version'], { stdio: 'ignore' }).status === 0;

interface Panel {
  type: string;
  id: number;
  title: string;
  gridPos: { x: number; y: number; w: number; h: number };
  datasource?: { uid: string };
  targets?: Array<{ expr: string; refId: string }>;
}
const dashboard = JSON.parse(readFileSync(path.join(DEPLOY, 'grafana', 'dashboards', 'coffeechat.json'), 'utf8')) as {
  uid: string;
  panels: Panel[];
};
const queries = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })));

function run(args: string[]): string {
  try {
    return execFileSync(PROMTOOL, args, { cwd: path.join(DEPLOY, 'prometheus'), encoding: 'utf8' });
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string };
    throw new Error(`promtool ${args.join(' ')} failed:\n${e.stdout ?? ''}${e.stderr ?? ''}`);
  }
}

describe.skipIf(!promtool)('promtool', () => {
  it('accepts the scrape config and the alert rules', () => {
    expect(run(['check', 'config', 'prometheus.yml'])).toContain('SUCCESS');
    expect(run(['check', 'rules', 'alerts.yml'])).toContain('SUCCESS');
  });

  it('passes the alert rules’ unit tests', () => {
    expect(run(['test', 'rules', 'alerts.test.yml'])).toContain('SUCCESS');
  });

  it('parses every dashboard query', () => {
    // each query as a recording rule: promtool then parses it as PromQL
    const dir = mkdtempSync(path.join(tmpdir(), 'dashboard-rules-'));
    try {
      const rules = queries.map((q, i) => ({
        record: `dashboard:query_${i}`,
        expr: q.expr.replaceAll('$__rate_interval', '5m'),
      }));
      const file = path.join(dir, 'dashboard-rules.yml');
      writeFileSync(file, JSON.stringify({ groups: [{ name: 'dashboard', rules }] }));
      expect(run(['check', 'rules', file])).toContain(`${rules.length} rules found`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('Grafana dashboard', () => {
  it('has unique panel ids, panels that fit the grid, and queries on the provisioned Prometheus', () => {
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels) {
      expect(p.gridPos.x + p.gridPos.w, p.title).toBeLessThanOrEqual(24);
      if (p.type === 'row') continue;
      // Grafana's own variable syntax, not a template literal.
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the literal text Grafana substitutes
      expect(p.datasource?.uid, p.title).toBe('${datasource}');
      expect(p.targets?.length, p.title).toBeGreaterThan(0);
    }
    const datasources = parse(
      readFileSync(path.join(DEPLOY, 'grafana', 'provisioning', 'datasources', 'coffeechat.yml'), 'utf8'),
    ) as {
      datasources: Array<{ uid: string; type: string }>;
    };
    expect(datasources.datasources.map((d) => d.type).sort()).toEqual(['jaeger', 'prometheus']);
  });

  it('covers chat latency, throughput, connections, queues, the broker, presence, feed cache and GC', () => {
    const all = queries.map((q) => q.expr).join('\n');
    for (const family of [
      'coffeechat_gateway_send_ack_seconds',
      'coffeechat_gateway_send_deliver_seconds',
      'coffeechat_hop_latency_seconds',
      'coffeechat_gateway_frames_in_total',
      'coffeechat_gateway_connections',
      'coffeechat_router_partition_backlog',
      'coffeechat_router_batch_size',
      'coffeechat_router_dead_letters_total',
      'coffeechat_presence_online_users',
      'coffeechat_feed_cache_hits_total',
      'nodejs_gc_duration_seconds',
      'rabbitmq_detailed_queue_messages_unacked',
      'rabbitmq_detailed_queue_consumers',
      'rabbitmq_alarms_memory_used_watermark',
      'rabbitmq_alarms_free_disk_space_watermark',
    ]) {
      expect(all, family).toContain(family);
    }
  });
});

// RabbitMQ's families as the local broker serves them: `npm test` enables its Prometheus plugin
// (scripts/infra.mjs) and passes the endpoint in RABBITMQ_METRICS_URL.
const rabbitMetrics = process.env.RABBITMQ_METRICS_URL;

describe.skipIf(!rabbitMetrics)('RabbitMQ metrics (rabbitmq_prometheus)', () => {
  it('serves every rabbitmq_* family the alert rules and the dashboard use', async () => {
    const alerts = parse(readFileSync(path.join(DEPLOY, 'prometheus', 'alerts.yml'), 'utf8')) as {
      groups: Array<{ rules: Array<{ expr: string }> }>;
    };
    const exprs = [...alerts.groups.flatMap((g) => g.rules.map((r) => r.expr)), ...queries.map((q) => q.expr)];
    const used = new Set(exprs.flatMap((text) => [...text.matchAll(/\b(rabbitmq_[a-z0-9_]+)/g)].map((m) => m[1]!)));
    expect(used.size).toBeGreaterThan(5);
    // the endpoints prometheus.yml scrapes: the aggregated one, and the detailed one for the queue families
    const config = parse(readFileSync(path.join(DEPLOY, 'prometheus', 'prometheus.yml'), 'utf8')) as {
      scrape_configs: Array<{ job_name: string; metrics_path?: string; params?: Record<string, string[]> }>;
    };
    const served = new Set<string>();
    for (const job of config.scrape_configs.filter((j) => j.job_name.startsWith('rabbitmq'))) {
      const params = new URLSearchParams();
      for (const [key, values] of Object.entries(job.params ?? {})) for (const v of values) params.append(key, v);
      const res = await fetch(`${rabbitMetrics}${job.metrics_path ?? '/metrics'}?${params}`);
      expect(res.status, job.job_name).toBe(200);
      for (const m of (await res.text()).matchAll(/^# TYPE (\S+)/gm)) served.add(m[1]!);
    }
    expect([...used].filter((name) => !served.has(name))).toEqual([]);
  });
});

describe('Prometheus files', () => {
  it('scrape the four services and RabbitMQ', () => {
    const config = parse(readFileSync(path.join(DEPLOY, 'prometheus', 'prometheus.yml'), 'utf8')) as {
      scrape_configs: Array<{ job_name: string; static_configs: Array<{ targets: string[] }> }>;
    };
    const targets = config.scrape_configs.flatMap((j) => j.static_configs.flatMap((s) => s.targets));
    expect(targets).toEqual(
      expect.arrayContaining(['gateway:8080', 'message-router:8081', 'presence:8082', 'feed:8083', 'rabbitmq:15692']),
    );
  });
});
