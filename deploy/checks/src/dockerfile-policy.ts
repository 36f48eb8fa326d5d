/**
 * What a service's Dockerfile must look like: it copies from the build context only the root manifests,
 * the service and the workspace packages it runs with (plus the bare manifests of its dev-only workspace
 * packages, which pnpm needs to resolve the workspace), and its final stage takes nothing from the
 * context, runs as a numeric non-root user, has a HEALTHCHECK on /healthz and OCI labels.
 */
import { DockerfileParser, type Instruction, ModifiableInstruction } from 'dockerfile-ast';
import { NODE_IMAGE, type ServiceFacts } from './services.js';
import { manifestOnlyWorkspaceDeps, productionClosure, type Workspace } from './workspace.js';

export const ROOT_FILES = ['package.json', 'pnpm-lock.yaml', 'pnpm-workspace.yaml', 'tsconfig.base.json'];
const REQUIRED_LABELS = ['title', 'description', 'version', 'revision', 'created'].map(
  (l) => `org.opencontainers.image.${l}`,
);

export interface DockerfileInput {
  text: string;
  service: ServiceFacts;
  workspace: Workspace;
  /** the pnpm version of package.json's packageManager */
  pnpmVersion: string;
}

/** A COPY source as written, without a leading "./" and trailing "/". */
const normalize = (source: string) => source.replace(/^\.\//, '').replace(/\/+$/, '');

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

/** Problems found in one service's Dockerfile; empty when it is fine. */
export function checkDockerfile({ text, service, workspace, pnpmVersion }: DockerfileInput): string[] {
  const problems: string[] = [];
  const self = workspace.get(service.packageName);
  if (!self) return [`${service.packageName} is not in the workspace`];
  const runtimeDirs = productionClosure(workspace, service.packageName).map((n) => workspace.get(n)?.dir ?? n);
  const manifestOnlyDirs = manifestOnlyWorkspaceDeps(workspace, service.packageName).map(
    (n) => workspace.get(n)?.dir ?? n,
  );
  const wholeDirs = [self.dir, ...runtimeDirs];
  const allowed = new Set([
    ...ROOT_FILES,
    ...wholeDirs.flatMap((d) => [d, `${d}/package.json`]),
    ...manifestOnlyDirs.map((d) => `${d}/package.json`),
  ]);
  const required = new Set(allowed);

  const { stages, args } = stagesOf(text);
  if (stages.length < 2) problems.push('expected a multi-stage build (build stage, then a runtime stage)');
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

  for (const stage of stages) {
    for (const instruction of stage.instructions) {
      const keyword = instruction.getKeyword();
      const line = instruction.getRange().start.line + 1;
      if (keyword === 'ADD') problems.push(`line ${line}: ADD; use COPY (no remote URLs or archive unpacking)`);
      if (keyword !== 'COPY' || flag(instruction, 'from') !== undefined) continue;
      const sources = instruction
        .getArguments()
        .map((a) => a.getValue())
        .slice(0, -1)
        .map(normalize);
      for (const source of sources) {
        if (!allowed.has(source)) {
          problems.push(`line ${line}: copies "${source}", which ${service.name} does not need`);
        }
        required.delete(source);
      }
    }
  }
  for (const missing of required) {
    // a package's manifest is copied by copying the whole directory too
    const dir = missing.replace(/\/package\.json$/, '');
    if (missing.endsWith('/package.json') && !required.has(dir) && wholeDirs.includes(dir)) continue;
    problems.push(`does not copy "${missing}", which the build of ${service.name} needs`);
  }

  const runtime = stages.at(-1);
  if (!runtime) return problems;
  const all = (keyword: string) => runtime.instructions.filter((i) => i.getKeyword() === keyword);
  if (all('COPY').some((i) => flag(i, 'from') === undefined)) {
    problems.push('the runtime stage copies from the build context; it must take only the build output');
  }
  const user = all('USER').at(-1)?.getArguments()[0]?.getValue() ?? '';
  if (!/^[1-9]\d*(:\d+)?$/.test(user)) {
    problems.push(`the runtime stage must end with a numeric non-root USER, found "${user || 'none'}"`);
  }
  const healthcheck = all('HEALTHCHECK').at(-1)?.getTextContent() ?? '';
  if (!healthcheck.includes('/healthz') || !healthcheck.includes(service.portVariable)) {
    problems.push(`the runtime stage needs a HEALTHCHECK on /healthz at ${service.portVariable}`);
  }
  if (!all('EXPOSE').some((i) => i.getArguments().some((a) => a.getValue() === String(service.port)))) {
    problems.push(`the runtime stage does not EXPOSE ${service.port}`);
  }
  const env = all('ENV')
    .map((i) => i.getTextContent())
    .join('\n');
  if (!new RegExp(`\\b${service.portVariable}=${service.port}\\b`).test(env)) {
    problems.push(`the runtime stage does not set ENV ${service.portVariable}=${service.port}`);
  }
  const labels = all('LABEL')
    .map((i) => i.getTextContent())
    .join('\n');
  for (const label of REQUIRED_LABELS) {
    if (!labels.includes(`${label}=`)) problems.push(`missing label ${label}`);
  }
  const cmd = all('CMD').at(-1)?.getTextContent() ?? '';
  if (!cmd.includes('dist/main.js')) problems.push('CMD does not start dist/main.js');
  const deploy = stages
    .flatMap((s) => s.instructions)
    .some(
      (i) =>
        i.getKeyword() === 'RUN' &&
        new RegExp(`--filter ${service.packageName} --prod deploy --legacy`).test(i.getTextContent()),
    );
  if (!deploy) problems.push(`no "pnpm --filter ${service.packageName} --prod deploy --legacy" step`);
  return problems;
}
