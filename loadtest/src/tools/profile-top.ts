/**
 * Where a service's CPU went, from the V8 profiles `npm run bench -- <scenario> --profile=1` writes:
 * self time per area (a dependency, Node's internals, our packages, GC) and the top functions.
 * Usage: node loadtest/dist/tools/profile-top.js <profile dir or .cpuprofile> [--top=25]
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface Profile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

/** A coarse owner of a frame: the npm package, a workspace package, Node's own code, or V8. */
function areaOf(url: string, functionName: string): string {
  if (url === '') return functionName.startsWith('(') ? functionName : `(native) ${functionName || 'anonymous'}`;
  const pkg = /node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (pkg) return pkg[1] as string;
  if (url.startsWith('node:')) return `node:${url.slice(5).split('/')[0]}`;
  const ours = /\/(apps|packages)\/([^/]+)\//.exec(url);
  if (ours) return `${ours[1]}/${ours[2]}`;
  return url;
}

function selfTimes(p: Profile): { byNode: Map<number, number>; totalMs: number } {
  const byNode = new Map<number, number>();
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    const id = samples[i] as number;
    // each sample's time is the delta to the next one
    const dt = (deltas[i + 1] ?? 0) / 1000;
    byNode.set(id, (byNode.get(id) ?? 0) + dt);
  }
  return { byNode, totalMs: (p.endTime - p.startTime) / 1000 };
}

function report(file: string, top: number): string {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const { byNode, totalMs } = selfTimes(p);
  const nodes = new Map(p.nodes.map((n) => [n.id, n]));
  const byArea = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let busy = 0;
  for (const [id, ms] of byNode) {
    const n = nodes.get(id);
    if (!n) continue;
    const { functionName, url, lineNumber } = n.callFrame;
    if (functionName === '(idle)') continue;
    busy += ms;
    const area = areaOf(url, functionName);
    byArea.set(area, (byArea.get(area) ?? 0) + ms);
    const fn = `${functionName || '(anonymous)'} ${url ? `${url.replace(/^.*\/(node_modules|apps|packages)\//, '$1/')}:${lineNumber + 1}` : ''}`;
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + ms);
  }
  const pct = (ms: number) => `${((ms / totalMs) * 100).toFixed(1)}%`;
  const rows = (m: Map<string, number>) =>
    [...m]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([k, ms]) => `  ${pct(ms).padStart(6)}  ${ms.toFixed(0).padStart(7)} ms  ${k}`);
  return [
    `${path.basename(file)}: ${(totalMs / 1000).toFixed(1)} s profiled, busy ${pct(busy)} of one core`,
    ' by area (self time):',
    ...rows(byArea),
    ' top functions (self time):',
    ...rows(byFunction),
  ].join('\n');
}

function main(): void {
  const target = process.argv[2];
  if (!target) {
    console.error('usage: profile-top <profile dir or .cpuprofile> [--top=25]');
    process.exit(2);
  }
  const top = Number(/--top=(\d+)/.exec(process.argv.slice(3).join(' '))?.[1] ?? 25);
  const files = statSync(target).isDirectory()
    ? readdirSync(target)
        .filter((f) => f.endsWith('.cpuprofile'))
        .sort()
        .map((f) => path.join(target, f))
    : [target];
  console.log(files.map((f) => report(f, top)).join('\n\n'));
}

main();
