import { defineProject } from 'vitest/config';

// The suites under test/ start processes and talk to the real RabbitMQ/Redis/MongoDB; one file at a time.
export default defineProject({
  test: {
    name: 'telemetry',
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    fileParallelism: false,
  },
});
