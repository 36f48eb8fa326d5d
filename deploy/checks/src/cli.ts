/**
 * Entry point of the Node checks that deploy/check.sh runs:
 *   node dist/cli.js dockerfiles
 *   node dist/cli.js compose
 *   node dist/cli.js manifests <rendered.yaml> [Kind,Kind...]   (kinds that must be present)
 * Prints each problem and exits 1 when there is one.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseAllDocuments } from 'yaml';
import { checkCompose } from './compose-check.js';
import { bundleProblems, checkDockerfile } from './dockerfile-policy.js';
import { schemaError } from './kubernetes-models.js';
import { checkManifests, type K8sObject } from './manifest-policy.js';
import { SERVICES } from './services.js';
import { clientRoutes, importedWorkspacePackages, readWorkspace } from './workspace.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');

function dockerfiles(): string[] {
  const rootManifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
    packageManager: string;
    devDependencies: Record<string, string>;
  };
  const problems = checkDockerfile({
    text: readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8'),
    services: SERVICES,
    pnpmVersion: rootManifest.packageManager.replace(/^pnpm@/, ''),
    turboVersion: rootManifest.devDependencies.turbo ?? '',
  }).map((p) => `Dockerfile: ${p}`);
  const workspace = readWorkspace(ROOT);
  for (const service of SERVICES) {
    const pkg = workspace.get(service.packageName);
    if (!pkg) problems.push(`no workspace package ${service.packageName}`);
    else problems.push(...bundleProblems(service, pkg.dependencies, importedWorkspacePackages(ROOT, pkg.dir)));
  }
  if (problems.length === 0)
    console.log(`Dockerfile: one for the ${SERVICES.length} services, each built from its pruned workspace`);
  return problems;
}

function compose(): string[] {
  const { problems, notes } = checkCompose(path.join(ROOT, 'deploy', 'compose.yaml'), ROOT, readWorkspace(ROOT));
  for (const note of notes) console.log(`note: ${note}`);
  if (problems.length === 0) console.log('deploy/compose.yaml: valid against the Compose specification schema');
  return problems;
}

function manifests(file: string, expect: string[]): string[] {
  const documents = parseAllDocuments(readFileSync(file, 'utf8'));
  const objects: K8sObject[] = [];
  const problems: string[] = [];
  for (const doc of documents) {
    if (doc.errors.length > 0) problems.push(`YAML: ${doc.errors.map((e) => e.message).join('; ')}`);
    const object = doc.toJS() as K8sObject | null;
    if (!object) continue;
    objects.push(object);
    const error = schemaError(object);
    if (error) problems.push(`${object.kind} ${object.metadata?.name}: ${error}`);
  }
  problems.push(...checkManifests(objects, readWorkspace(ROOT), expect, clientRoutes(ROOT, 'apps/web/src')));
  if (problems.length === 0) {
    const kinds = [...new Set(objects.map((o) => o.kind))].sort().join(', ');
    console.log(
      `${path.basename(file)}: ${objects.length} objects valid against their schemas and the chart's policy (${kinds})`,
    );
  }
  return problems;
}

const [command, ...args] = process.argv.slice(2);
let problems: string[];
if (command === 'dockerfiles') problems = dockerfiles();
else if (command === 'compose') problems = compose();
else if (command === 'manifests' && args[0]) problems = manifests(args[0], args[1] ? args[1].split(',') : []);
else {
  console.error('usage: cli.js dockerfiles | compose | manifests <file> [Kind,...]');
  process.exit(2);
}
for (const problem of problems) console.error(`FAIL ${problem}`);
process.exit(problems.length > 0 ? 1 : 0);
