import { defineProject } from 'vitest/config';

export default defineProject({ test: { name: 'deploy-checks', include: ['src/**/*.test.ts'] } });
