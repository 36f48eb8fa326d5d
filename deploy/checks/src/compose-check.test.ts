import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { checkCompose, schemaProblems } from './compose-check.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const COMPOSE = path.join(ROOT, 'deploy', 'compose.yaml');

describe('compose check', () => {
  it('accepts deploy/compose.yaml', () => {
    expect(checkCompose(COMPOSE, ROOT).problems).toEqual([]);
  });

  it('rejects what the Compose schema rejects', () => {
    const document = parse(readFileSync(COMPOSE, 'utf8'), { merge: true }) as {
      services: Record<string, Record<string, unknown>>;
    };
    const gateway = document.services.gateway;
    if (!gateway) throw new Error('no gateway service');
    gateway.restart_policy = 'always';
    gateway.healthcheck = { interval: 5 };
    const problems = schemaProblems(document);
    expect(problems.some((p) => p.includes('restart_policy'))).toBe(true);
    expect(problems.some((p) => p.includes('/services/gateway/healthcheck/interval'))).toBe(true);
  });
});
