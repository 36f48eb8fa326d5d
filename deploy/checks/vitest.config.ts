import { defineProject } from 'vitest/config';

// compiling the Compose schema takes seconds on a busy 2-core machine
export default defineProject({ test: { name: 'deploy-checks', include: ['src/**/*.test.ts'], testTimeout: 30_000 } });
