// The whole suite with its servers from testcontainers when a Docker engine answers (deploy/README.md,
// "Run the test suite with Docker"): the repository's vitest configuration plus the testkit global set-up.
//   pnpm exec turbo run build && pnpm exec vitest run --config deploy/vitest.docker.config.ts
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig, mergeConfig } from 'vitest/config';
import base from '../vitest.config.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export default mergeConfig(
  base,
  defineConfig({ root, test: { globalSetup: [path.join(root, 'packages/testkit/dist/global-setup.js')] } }),
);
