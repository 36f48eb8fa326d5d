/** The pnpm workspace's packages as the deploy checks need them: names, directories, dependencies. */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';

export interface WorkspacePackage {
  name: string;
  /** relative to the repository root, with forward slashes, e.g. `packages/contracts` */
  dir: string;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}

export type Workspace = ReadonlyMap<string, WorkspacePackage>;

const isWorkspaceRange = (range: string) => range.startsWith('workspace:');

/** The workspace packages a package needs at run time, itself excluded, transitively. */
export function productionClosure(workspace: Workspace, name: string): string[] {
  const seen = new Set<string>();
  const visit = (pkgName: string) => {
    const pkg = workspace.get(pkgName);
    if (!pkg) throw new Error(`${pkgName} is not a workspace package`);
    for (const [dep, range] of Object.entries(pkg.dependencies)) {
      if (!isWorkspaceRange(range) || seen.has(dep)) continue;
      seen.add(dep);
      visit(dep);
    }
  };
  visit(name);
  return [...seen].sort();
}

/**
 * Workspace packages whose manifests (and nothing else) a build of `name` needs: pnpm resolves every
 * workspace package present, so each one named by a present package, in dependencies or devDependencies,
 * must be present too, transitively. The run-time closure itself is excluded.
 */
export function manifestOnlyWorkspaceDeps(workspace: Workspace, name: string): string[] {
  const runtime = new Set([name, ...productionClosure(workspace, name)]);
  const manifestOnly = new Set<string>();
  const pending = [...runtime];
  for (let pkgName = pending.pop(); pkgName !== undefined; pkgName = pending.pop()) {
    const pkg = workspace.get(pkgName);
    for (const [dep, range] of Object.entries({ ...pkg?.dependencies, ...pkg?.devDependencies })) {
      if (!isWorkspaceRange(range) || runtime.has(dep) || manifestOnly.has(dep)) continue;
      manifestOnly.add(dep);
      pending.push(dep);
    }
  }
  return [...manifestOnly].sort();
}

interface Manifest {
  name?: string;
  dependencies?: Record<string, string>;
  devDependencies?: Record<string, string>;
}

/** Reads the packages under the directories that hold apps and libraries (apps/*, packages/*). */
export function readWorkspace(root: string, parents = ['apps', 'packages']): Workspace {
  const packages = new Map<string, WorkspacePackage>();
  for (const parent of parents) {
    const parentDir = path.join(root, parent);
    if (!existsSync(parentDir)) continue;
    for (const entry of readdirSync(parentDir, { withFileTypes: true })) {
      const manifestPath = path.join(parentDir, entry.name, 'package.json');
      if (!entry.isDirectory() || !existsSync(manifestPath)) continue;
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as Manifest;
      if (!manifest.name) continue;
      packages.set(manifest.name, {
        name: manifest.name,
        dir: `${parent}/${entry.name}`,
        dependencies: manifest.dependencies ?? {},
        devDependencies: manifest.devDependencies ?? {},
      });
    }
  }
  return packages;
}
