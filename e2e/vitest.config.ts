import { defineProject } from 'vitest/config';

// Each file starts its own stack of processes; on two cores they run one at a time.
export default defineProject({
  test: {
    name: 'e2e',
    include: ['src/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
