import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { checkCompose, defaultValue, schemaProblems } from './compose-check.js';
import { readWorkspace } from './workspace.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const COMPOSE = path.join(ROOT, 'deploy', 'compose.yaml');
const workspace = readWorkspace(ROOT);
/** Compose's `${NAME-default}` interpolation, spelled so it is not mistaken for a template placeholder */
const interpolation = (body: string) => `$\{${body}}`;

describe('compose check', () => {
  it('accepts deploy/compose.yaml', () => {
    expect(checkCompose(COMPOSE, ROOT, workspace).problems).toEqual([]);
  });

  it('flags services that would refuse the web app, and a JWT secret given to it', () => {
    const text = readFileSync(COMPOSE, 'utf8')
      .replace(
        interpolation('ALLOWED_ORIGINS-http://127.0.0.1:8084,http://localhost:8084'),
        interpolation('ALLOWED_ORIGINS-https://x.example'),
      )
      .replace(
        `JWT_DEV_SECRET: ${interpolation('JWT_DEV_SECRET:-1')}\n      JWT_ISSUER`,
        'JWT_SECRET: s\n      JWT_ISSUER',
      );
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'cc-compose-')), 'compose.yaml');
    writeFileSync(file, text);
    // elsewhere than deploy/, so build contexts and mounts fail too: only these two problems matter here
    const problems = checkCompose(file, ROOT, workspace).problems;
    expect(problems).toContain('web: gets JWT_SECRET but verifies no tokens');
    expect(problems).toContain("gateway: ALLOWED_ORIGINS lacks http://127.0.0.1:8084 (the web app's pages)");
  });

  it('reads the default of an interpolated setting', () => {
    expect(defaultValue(interpolation('A-x,y'))).toBe('x,y');
    expect(defaultValue(interpolation('A:-'))).toBe('');
    expect(defaultValue('plain')).toBe('plain');
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
