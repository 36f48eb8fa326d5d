import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bundleProblems, checkDockerfile, SERVICE_REF } from './dockerfile-policy.js';
import { SERVICES } from './services.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const dockerfile = readFileSync(path.join(ROOT, 'Dockerfile'), 'utf8');
const manifest = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as {
  packageManager: string;
  devDependencies: Record<string, string>;
};
const check = (text: string) =>
  checkDockerfile({
    text,
    services: SERVICES,
    pnpmVersion: manifest.packageManager.replace(/^pnpm@/, ''),
    turboVersion: manifest.devDependencies.turbo ?? '',
  });

describe('checkDockerfile', () => {
  it('accepts the repository’s Dockerfile', () => {
    expect(check(dockerfile)).toEqual([]);
  });

  it('flags a later stage that takes the build context, and a build not pruned to its service', () => {
    const text = dockerfile
      .replace('COPY --from=prune /pruned/full/ ./', 'COPY . .')
      .replace(`RUN turbo prune "@coffeechat/${SERVICE_REF}" --docker --out-dir /pruned`, 'RUN mkdir /pruned');
    expect(check(text)).toEqual([
      expect.stringMatching(/line \d+: stage build copies from the build context; only prune may/),
      `stage prune does not run turbo prune "@coffeechat/${SERVICE_REF}" --docker`,
    ]);
  });

  it('flags a service list that is not SPEC’s, a default service, and version drift', () => {
    const text = dockerfile
      .replace('gateway|message-router|presence|feed|web) ;;', 'gateway|feed) ;;')
      .replace('ARG SERVICE\n# the version of the root', 'ARG SERVICE=gateway\n# the version of the root')
      .replace('ARG PNPM_VERSION=10.34.8', 'ARG PNPM_VERSION=9.0.0');
    expect(check(text)).toEqual([
      'ARG PNPM_VERSION=9.0.0 differs from packageManager pnpm@10.34.8',
      'ARG SERVICE must have no default: the build names the service',
      'the SERVICE check accepts "gateway|feed", expected "gateway|message-router|presence|feed|web"',
    ]);
  });

  it('flags a root user, a health check missing a service, and a runtime stage that copies from the context', () => {
    const text = dockerfile
      .replace('USER 1000:1000', 'USER node')
      .replace("presence: ['PRESENCE_PORT', 8082], ", '')
      .replace('COPY --from=build /out/dist ./dist', 'COPY apps/ ./');
    expect(check(text)).toEqual([
      expect.stringMatching(/stage runtime copies from the build context/),
      'the runtime stage copies from the build context; it must take only the build output',
      'the runtime stage must end with a numeric non-root USER, found "node"',
      'the HEALTHCHECK does not ask presence at PRESENCE_PORT (default 8082)',
    ]);
  });

  it('flags a web build without the SDK it bundles', () => {
    const text = dockerfile
      .replace('web) echo "--filter-prod=@coffeechat/client..." ;;', 'web) ;;')
      .replace(
        `"@coffeechat/${SERVICE_REF}..." $(cat /build-filters) run build`,
        `"@coffeechat/${SERVICE_REF}..." run build`,
      );
    expect(check(text)).toEqual([
      '/build-filters does not add --filter-prod=@coffeechat/client... for SERVICE=web',
      'the build does not take $(cat /build-filters)',
    ]);
  });
});

describe('bundleProblems', () => {
  const web = SERVICES.find((s) => s.name === 'web');
  if (!web) throw new Error('no web in SERVICES');
  const deps = { '@coffeechat/auth': 'workspace:*' };

  it('accepts imports that are dependencies or declared bundles', () => {
    expect(bundleProblems(web, deps, new Set(['@coffeechat/auth', '@coffeechat/client', '@coffeechat/web']))).toEqual(
      [],
    );
  });

  it('flags an imported workspace package the image build would not install', () => {
    expect(bundleProblems(web, deps, new Set(['@coffeechat/client', '@coffeechat/testkit']))).toEqual([
      expect.stringContaining(
        'imports @coffeechat/client, @coffeechat/testkit beyond its dependencies, but the build adds @coffeechat/client',
      ),
    ]);
  });
});
