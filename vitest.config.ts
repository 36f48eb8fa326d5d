import { defineConfig } from 'vitest/config';

// One run over every package; suites that start processes run one file at a time (2-core machines).
export default defineConfig({
  test: {
    projects: ['packages/*', 'apps/*', 'loadtest', 'e2e'],
    reporters: ['default', ['json', { outputFile: '.test-results/results.json' }]],
  },
});
