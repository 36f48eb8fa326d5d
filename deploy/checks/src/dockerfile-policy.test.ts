import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkDockerfile } from './dockerfile-policy.js';
import { SERVICES } from './services.js';
import type { Workspace, WorkspacePackage } from './workspace.js';
import { manifestOnlyWorkspaceDeps, productionClosure, readWorkspace } from './workspace.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const gatewayDockerfile = readFileSync(path.join(ROOT, 'apps', 'gateway', 'Dockerfile'), 'utf8');
const gateway = SERVICES.find((s) => s.name === 'gateway');
if (!gateway) throw new Error('no gateway');

const pkg = (name: string, dir: string, deps: string[], devDeps: string[] = []): [string, WorkspacePackage] => [
  name,
  {
    name,
    dir,
    dependencies: Object.fromEntries(deps.map((d) => [d, 'workspace:*'])),
    devDependencies: Object.fromEntries(devDeps.map((d) => [d, 'workspace:*'])),
  },
];

const workspace: Workspace = new Map([
  pkg(
    '@coffeechat/gateway',
    'apps/gateway',
    ['@coffeechat/service-kit', '@coffeechat/contracts', '@coffeechat/auth'],
    ['@coffeechat/testkit', '@coffeechat/client'],
  ),
  pkg('@coffeechat/service-kit', 'packages/service-kit', ['@coffeechat/auth', '@coffeechat/contracts']),
  pkg('@coffeechat/contracts', 'packages/contracts', []),
  pkg('@coffeechat/auth', 'packages/auth', []),
  pkg('@coffeechat/testkit', 'packages/testkit', ['@coffeechat/auth']),
  pkg('@coffeechat/client', 'packages/client', ['@coffeechat/contracts']),
  pkg('@coffeechat/feed', 'apps/feed', ['@coffeechat/contracts']),
]);

// the Dockerfiles are checked against the workspace as it is: that is what they must agree with
const real = readWorkspace(ROOT);
const check = (text: string, ws: Workspace = real) =>
  checkDockerfile({ text, service: gateway, workspace: ws, pnpmVersion: '10.34.8' });

describe('workspace closure', () => {
  it('follows run-time workspace dependencies only', () => {
    expect(productionClosure(workspace, '@coffeechat/gateway')).toEqual([
      '@coffeechat/auth',
      '@coffeechat/contracts',
      '@coffeechat/service-kit',
    ]);
    expect(manifestOnlyWorkspaceDeps(workspace, '@coffeechat/gateway')).toEqual([
      '@coffeechat/client',
      '@coffeechat/testkit',
    ]);
  });
});

describe('checkDockerfile', () => {
  it('accepts the gateway Dockerfile', () => {
    expect(check(gatewayDockerfile)).toEqual([]);
  });

  it('flags a copy of a package the service does not run with', () => {
    const text = gatewayDockerfile.replace(
      'COPY apps/gateway/ apps/gateway/',
      'COPY apps/gateway/ apps/gateway/\nCOPY packages/testkit/ packages/testkit/',
    );
    expect(check(text)).toEqual([expect.stringContaining('copies "packages/testkit", which gateway does not need')]);
  });

  it('flags copying the whole context', () => {
    expect(check(gatewayDockerfile.replace('COPY apps/gateway/ apps/gateway/', 'COPY . .'))).toEqual([
      expect.stringContaining('copies ".", which gateway does not need'),
      'does not copy "apps/gateway", which the build of gateway needs',
    ]);
  });

  it('flags a run-time workspace dependency that is not copied', () => {
    const ws = new Map(real);
    const self = real.get('@coffeechat/gateway');
    if (!self) throw new Error('no gateway package');
    ws.set('@coffeechat/gateway', {
      ...self,
      dependencies: { ...self.dependencies, '@coffeechat/feed': 'workspace:*' },
    });
    expect(check(gatewayDockerfile, ws)).toContain('does not copy "apps/feed", which the build of gateway needs');
  });

  it('flags a root user, a missing health check and a pnpm version drift', () => {
    const text = gatewayDockerfile
      .replace('USER 1000:1000', 'USER node')
      .replace(/HEALTHCHECK[\s\S]*?\n(?=CMD)/, '')
      .replace('ARG PNPM_VERSION=10.34.8', 'ARG PNPM_VERSION=9.0.0');
    expect(check(text)).toEqual([
      'ARG PNPM_VERSION=9.0.0 differs from packageManager pnpm@10.34.8',
      'the runtime stage must end with a numeric non-root USER, found "node"',
      'the runtime stage needs a HEALTHCHECK on /healthz at GATEWAY_PORT',
    ]);
  });

  it('flags a runtime stage that copies from the build context', () => {
    const text = gatewayDockerfile.replace('COPY --from=build /out/dist ./dist', 'COPY apps/gateway/ ./');
    expect(check(text)).toContain(
      'the runtime stage copies from the build context; it must take only the build output',
    );
  });
});
