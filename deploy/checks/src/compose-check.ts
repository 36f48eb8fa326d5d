/**
 * deploy/compose.yaml against the Compose specification's JSON schema (the copy dclint ships), plus what
 * the schema cannot know: each service is built from the one Dockerfile with its SERVICE, publishes its SPEC port, gets its
 * connection settings (the JWT secret only where tokens are verified), the services let the web app's
 * published origin in (ALLOWED_ORIGINS), and every bind-mounted file exists.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Ajv, type ValidateFunction } from 'ajv';
import { parse } from 'yaml';
import { SERVER_CLIENTS, SERVICES } from './services.js';
import type { Workspace } from './workspace.js';

const require = createRequire(import.meta.url);

/** Directories another part of the project adds later; compose references them before they exist. */
export const OPTIONAL_MOUNTS = ['prometheus', 'grafana'];

export interface CheckResult {
  problems: string[];
  notes: string[];
}

interface ComposeService {
  build?: { context?: string; dockerfile?: string; args?: Record<string, string> };
  environment?: Record<string, string | number | boolean | null>;
  ports?: (string | { target?: number })[];
  volumes?: (string | { type?: string; source?: string })[];
}

function composeSchema(): object {
  const schemaPath = path.join(path.dirname(require.resolve('dclint/package.json')), 'schemas', 'compose.schema.json');
  const schema = JSON.parse(readFileSync(schemaPath, 'utf8')) as Record<string, unknown>;
  // it names draft-07 by an https URL Ajv does not know; Ajv's default dialect is draft-07 anyway
  delete schema.$schema;
  return schema;
}

let compiled: ValidateFunction | undefined;

/** Schema problems of an already parsed Compose document. */
export function schemaProblems(document: unknown): string[] {
  // formats such as "duration" are Compose's own; the schema's structure is what is checked here
  compiled ??= new Ajv({ allErrors: true, strict: false, validateFormats: false }).compile(composeSchema());
  const validate = compiled;
  if (validate(document)) return [];
  return (validate.errors ?? []).map((e) => `${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}

/** The value Compose gives `${VAR:-default}` / `${VAR-default}` when VAR is unset. */
export function defaultValue(value: unknown): string {
  const text = String(value ?? '');
  return /^\$\{\w+:?-(.*)\}$/.exec(text)?.[1] ?? text;
}

/** http://<host>:<port> of each host port that publishes `port`, e.g. "127.0.0.1:8084:8084". */
function publishedOrigins(ports: ComposeService['ports'], port: number): string[] {
  return (ports ?? [])
    .map(String)
    .map((p) => /^(?:([\d.]+):)?(\d+):(\d+)$/.exec(p))
    .filter((m): m is RegExpExecArray => m !== null && Number(m[3]) === port)
    .map((m) => `http://${m[1] ?? '127.0.0.1'}:${m[2]}`);
}

export function checkCompose(file: string, repoRoot: string, workspace: Workspace): CheckResult {
  const problems: string[] = [];
  const notes: string[] = [];
  // merge: the file shares settings through YAML anchors and `<<` merge keys, as Compose resolves them
  const document = parse(readFileSync(file, 'utf8'), { merge: true }) as { services?: Record<string, ComposeService> };
  problems.push(...schemaProblems(document));
  const services = document.services ?? {};
  const composeDir = path.dirname(file);

  for (const svc of SERVICES) {
    const entry = services[svc.name];
    if (!entry) {
      problems.push(`service ${svc.name} is missing`);
      continue;
    }
    const context = path.resolve(composeDir, entry.build?.context ?? '.');
    if (context !== repoRoot) problems.push(`${svc.name}: build context must be the repository root`);
    if ((entry.build?.dockerfile ?? 'Dockerfile') !== 'Dockerfile' || entry.build?.args?.SERVICE !== svc.name) {
      problems.push(`${svc.name}: must build from the repository's Dockerfile with SERVICE=${svc.name}`);
    }
    const env = entry.environment ?? {};
    if (String(env[svc.portVariable]) !== String(svc.port))
      problems.push(`${svc.name}: ${svc.portVariable} must be ${svc.port}`);
    const deps = workspace.get(svc.packageName)?.dependencies ?? {};
    const servers = Object.entries(SERVER_CLIENTS).filter(([client]) => client in deps);
    const required = servers.map(([, variable]) => variable);
    if (servers.length > 0) required.push('CC_NAMESPACE');
    if (svc.verifiesTokens) required.push('JWT_SECRET');
    else if ('JWT_SECRET' in env) problems.push(`${svc.name}: gets JWT_SECRET but verifies no tokens`);
    for (const variable of required) {
      if (!(variable in env)) problems.push(`${svc.name}: no ${variable}`);
    }
    const published = (entry.ports ?? []).map(String);
    if (!published.some((p) => p.endsWith(`:${svc.port}`))) problems.push(`${svc.name}: does not publish ${svc.port}`);
  }

  // the browser app's pages call every API and open the WebSocket from its published origin
  for (const web of SERVICES.filter((s) => !s.verifiesTokens)) {
    const origins = publishedOrigins(services[web.name]?.ports, web.port);
    for (const svc of SERVICES.filter((s) => s.verifiesTokens)) {
      const allowed = defaultValue(services[svc.name]?.environment?.ALLOWED_ORIGINS).split(',').filter(Boolean);
      const missing = origins.filter((origin) => !allowed.includes(origin));
      if (allowed.length > 0 && missing.length > 0)
        problems.push(`${svc.name}: ALLOWED_ORIGINS lacks ${missing.join(', ')} (the ${web.name} app's pages)`);
    }
  }

  for (const [name, entry] of Object.entries(services)) {
    for (const volume of entry.volumes ?? []) {
      const source =
        typeof volume === 'string' ? volume.split(':')[0] : volume.type === 'bind' ? volume.source : undefined;
      if (!source || !/^\.{1,2}\//.test(source)) continue;
      if (existsSync(path.resolve(composeDir, source))) continue;
      const relative = path.relative(composeDir, path.resolve(composeDir, source));
      const optional = OPTIONAL_MOUNTS.some((dir) => relative === dir || relative.startsWith(`${dir}/`));
      (optional ? notes : problems).push(
        `${name}: bind mount source deploy/${relative} does not exist${optional ? ' yet (observability files)' : ''}`,
      );
    }
  }
  return { problems, notes };
}
