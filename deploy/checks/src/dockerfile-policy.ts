/**
 * What the one Dockerfile (repository root, build argument SERVICE) must look like: its first stage is
 * the only one that takes the build context, and it cuts the workspace down to the service with
 * `turbo prune "@coffeechat/${SERVICE}" --docker` (turbo computes what the service's build needs from
 * the package graph and prunes the lockfile with it); every later stage copies from an earlier stage
 * only. It accepts exactly the services of SPEC §2, pins pnpm and turbo to the root manifest's versions,
 * installs frozen and deploys the service alone, adding by name only what a service's build bundles (the
 * browser app's SDK); its final stage runs as a numeric non-root user, has a HEALTHCHECK on /healthz at
 * each service's port setting and OCI labels.
 */
import { DockerfileParser, type Instruction, ModifiableInstruction } from 'dockerfile-ast';
import { NODE_IMAGE, type ServiceFacts } from './services.js';

const REQUIRED_LABELS = ['title', 'description', 'version', 'revision', 'created'].map(
  (l) => `org.opencontainers.image.${l}`,
);
/** The Dockerfile's reference to its build argument (Docker syntax, not a template). */
// biome-ignore lint/suspicious/noTemplateCurlyInString: the Dockerfile's own syntax
export const SERVICE_REF = '${SERVICE}';
const PACKAGE = `"@coffeechat/${SERVICE_REF}`;
/** where the build stage writes the extra pnpm filters of the service being built */
const BUILD_FILTERS = '/build-filters';

export interface DockerfileInput {
  text: string;
  services: readonly ServiceFacts[];
  /** the pnpm version of package.json's packageManager */
  pnpmVersion: string;
  /** the turbo version of package.json's devDependencies */
  turboVersion: string;
}

interface Stage {
  name: string;
  image: string;
  instructions: Instruction[];
}

function stagesOf(text: string) {
  const dockerfile = DockerfileParser.parse(text);
  const stages: Stage[] = [];
  for (const instruction of dockerfile.getInstructions()) {
    if (instruction.getKeyword() === 'FROM') {
      const [image = '', , name = `#${stages.length}`] = instruction.getArguments().map((a) => a.getValue());
      stages.push({ name, image, instructions: [] });
    } else {
      stages.at(-1)?.instructions.push(instruction);
    }
  }
  const args = new Map<string, string>();
  for (const arg of dockerfile.getARGs()) {
    const property = arg.getProperty();
    const value = property?.getValue();
    if (property && value !== null && value !== undefined && !args.has(property.getName())) {
      args.set(property.getName(), value);
    }
  }
  return { stages, args };
}

const flag = (instruction: Instruction, name: string) =>
  instruction instanceof ModifiableInstruction
    ? (instruction
        .getFlags()
        .find((f) => f.getName() === name)
        ?.getValue() ?? undefined)
    : undefined;

const runs = (stage: Stage) =>
  stage.instructions.filter((i) => i.getKeyword() === 'RUN').map((i) => i.getTextContent().replace(/\s+/g, ' '));

/** Problems found in the Dockerfile; empty when it is fine. */
export function checkDockerfile({ text, services, pnpmVersion, turboVersion }: DockerfileInput): string[] {
  const problems: string[] = [];
  const { stages, args } = stagesOf(text);
  const [prune, ...later] = stages;
  const runtime = stages.at(-1);
  if (!prune || !runtime || stages.length < 3) return ['expected three stages: prune, build, runtime'];
  const resolveImage = (image: string) =>
    image.replace(/^\$\{?(\w+)\}?$/, (_, name: string) => args.get(name) ?? image);
  for (const stage of stages) {
    if (resolveImage(stage.image) !== NODE_IMAGE) {
      problems.push(`stage ${stage.name} is based on ${resolveImage(stage.image)}, expected ${NODE_IMAGE}`);
    }
  }
  if (args.get('PNPM_VERSION') !== pnpmVersion) {
    problems.push(`ARG PNPM_VERSION=${args.get('PNPM_VERSION')} differs from packageManager pnpm@${pnpmVersion}`);
  }
  if (args.get('TURBO_VERSION') !== turboVersion) {
    problems.push(
      `ARG TURBO_VERSION=${args.get('TURBO_VERSION')} differs from the root devDependency turbo@${turboVersion}`,
    );
  }
  if (args.has('SERVICE')) problems.push('ARG SERVICE must have no default: the build names the service');

  // Only the prune stage takes the build context, and it prunes to the service.
  for (const stage of stages) {
    for (const instruction of stage.instructions) {
      const keyword = instruction.getKeyword();
      const line = instruction.getRange().start.line + 1;
      if (keyword === 'ADD') problems.push(`line ${line}: ADD; use COPY (no remote URLs or archive unpacking)`);
      if (keyword === 'COPY' && flag(instruction, 'from') === undefined && stage !== prune) {
        problems.push(`line ${line}: stage ${stage.name} copies from the build context; only ${prune.name} may`);
      }
    }
  }
  const pruneRuns = runs(prune);
  if (!pruneRuns.some((r) => r.includes(`turbo prune ${PACKAGE}" --docker`))) {
    problems.push(`stage ${prune.name} does not run turbo prune ${PACKAGE}" --docker`);
  }
  const names = pruneRuns.map((r) => /case "\$\{SERVICE\}" in[\s\\]*([\w|-]+)\)/.exec(r)?.[1]).find(Boolean);
  const expected = services.map((s) => s.name).join('|');
  if (names !== expected) problems.push(`the SERVICE check accepts "${names ?? 'nothing'}", expected "${expected}"`);

  const buildRuns = later.flatMap(runs);
  if (!buildRuns.some((r) => r.includes('--frozen-lockfile') && r.includes(`--filter-prod ${PACKAGE}..."`))) {
    problems.push(`no frozen install filtered to ${PACKAGE}..."`);
  }
  if (!buildRuns.some((r) => r.includes(`--filter ${PACKAGE}" --prod deploy --legacy`))) {
    problems.push(`no "pnpm --filter ${PACKAGE}" --prod deploy --legacy" step`);
  }
  problems.push(...bundleFilterProblems(buildRuns, services));

  const all = (keyword: string) => runtime.instructions.filter((i) => i.getKeyword() === keyword);
  if (all('COPY').some((i) => flag(i, 'from') === undefined)) {
    problems.push('the runtime stage copies from the build context; it must take only the build output');
  }
  const user = all('USER').at(-1)?.getArguments()[0]?.getValue() ?? '';
  if (!/^[1-9]\d*(:\d+)?$/.test(user)) {
    problems.push(`the runtime stage must end with a numeric non-root USER, found "${user || 'none'}"`);
  }
  const healthcheck = all('HEALTHCHECK').at(-1)?.getTextContent() ?? '';
  if (!healthcheck.includes('/healthz')) problems.push('the runtime stage needs a HEALTHCHECK on /healthz');
  for (const service of services) {
    if (!healthcheck.includes(`['${service.portVariable}', ${service.port}]`)) {
      problems.push(
        `the HEALTHCHECK does not ask ${service.name} at ${service.portVariable} (default ${service.port})`,
      );
    }
  }
  const env = all('ENV')
    .map((i) => i.getTextContent())
    .join('\n');
  if (!env.includes(`COFFEECHAT_SERVICE=${SERVICE_REF}`)) {
    problems.push(`the runtime stage does not set ENV COFFEECHAT_SERVICE=${SERVICE_REF} (its health check needs it)`);
  }
  const labels = all('LABEL')
    .map((i) => i.getTextContent())
    .join('\n');
  for (const label of REQUIRED_LABELS) {
    if (!labels.includes(`${label}=`)) problems.push(`missing label ${label}`);
  }
  const cmd = all('CMD').at(-1)?.getTextContent() ?? '';
  if (!cmd.includes('dist/main.js')) problems.push('CMD does not start dist/main.js');
  return problems;
}

/**
 * A service whose build bundles workspace packages (`ServiceFacts.bundles`) gets them added to the
 * install and the build as `--filter-prod=<package>...`, written to /build-filters for its SERVICE only.
 */
function bundleFilterProblems(buildRuns: string[], services: readonly ServiceFacts[]): string[] {
  const bundling = services.filter((s) => s.bundles.length > 0);
  if (bundling.length === 0) return [];
  const problems: string[] = [];
  const writer = buildRuns.find((r) => r.includes(`>${BUILD_FILTERS}`)) ?? '';
  for (const service of bundling) {
    const filters = service.bundles.map((b) => `--filter-prod=${b}...`).join(' ');
    if (!writer.includes(`${service.name}) echo "${filters}"`)) {
      problems.push(`${BUILD_FILTERS} does not add ${filters} for SERVICE=${service.name}`);
    }
  }
  const uses = `$(cat ${BUILD_FILTERS})`;
  const install = buildRuns.find((r) => r.includes('--frozen-lockfile')) ?? '';
  const build = buildRuns.find((r) => r.includes(' run build')) ?? '';
  if (!install.includes(uses)) problems.push(`the install does not take ${uses}`);
  if (!build.includes(uses)) problems.push(`the build does not take ${uses}`);
  return problems;
}

/**
 * What a service's own code imports from the workspace beyond its runtime dependencies must be exactly
 * what it declares as bundled: anything else would be missing from the image's build.
 */
export function bundleProblems(
  service: ServiceFacts,
  dependencies: Readonly<Record<string, string>>,
  imported: ReadonlySet<string>,
): string[] {
  const bundled = [...imported].filter((name) => name !== service.packageName && !(name in dependencies)).sort();
  const declared = [...service.bundles].sort();
  if (bundled.join() === declared.join()) return [];
  return [
    `apps/${service.name} imports ${bundled.join(', ') || 'no workspace package'} beyond its dependencies, but the build adds ${declared.join(', ') || 'nothing'} (deploy/checks/src/services.ts, Dockerfile ${BUILD_FILTERS})`,
  ];
}
