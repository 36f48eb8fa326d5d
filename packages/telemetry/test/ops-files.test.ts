/**
 * The operations files in deploy/prometheus and deploy/grafana: promtool validates the scrape config, the
 * alert rules (and runs their unit tests, alerts.test.yml) and every dashboard query, when it is installed
 * (Debian package `prometheus`); the dashboard's structure is checked either way.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';

const DEPLOY = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'deploy');
const promtool = spawnSync('promtool', ['--version'], { stdio: 'ignore' }).status === 0;

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
    return execFileSync('promtool', args, { cwd: path.join(DEPLOY, 'prometheus'), encoding: 'utf8' });
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

  it('covers chat latency, throughput, connections, queues, presence, feed cache and GC', () => {
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
    ]) {
      expect(all, family).toContain(family);
    }
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
