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
