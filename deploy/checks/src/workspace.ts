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

const SKIPPED_DIRS = new Set(['node_modules', 'dist', 'test', '.turbo', 'coverage']);
const IMPORT = /(?:from|import)\s*\(?\s*['"](@coffeechat\/[a-z0-9-]+)/g;

/** Workspace packages (`@coffeechat/*`) that a package's own code imports; tests and build output aside. */
export function importedWorkspacePackages(root: string, dir: string): Set<string> {
  const found = new Set<string>();
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const file = path.join(current, entry.name);
      if (entry.isDirectory()) {
        if (!SKIPPED_DIRS.has(entry.name)) walk(file);
      } else if (/\.tsx?$/.test(entry.name) && !/\.test\.tsx?$/.test(entry.name) && !entry.name.endsWith('.d.ts')) {
        for (const match of readFileSync(file, 'utf8').matchAll(IMPORT)) found.add(match[1] as string);
      }
    }
  };
  walk(path.join(root, dir));
  return found;
}

/** The client-side routes (`<Route path="…">`) of a browser app's sources, e.g. `/rooms/:roomId`. */
export function clientRoutes(root: string, dir: string): string[] {
  const found: string[] = [];
  const walk = (current: string) => {
    for (const entry of readdirSync(current, { withFileTypes: true })) {
      const file = path.join(current, entry.name);
      if (entry.isDirectory()) walk(file);
      else if (entry.name.endsWith('.tsx'))
        for (const match of readFileSync(file, 'utf8').matchAll(/<Route\s+path="([^"]+)"/g))
          found.push(match[1] as string);
    }
  };
  walk(path.join(root, dir));
  return found;
}
