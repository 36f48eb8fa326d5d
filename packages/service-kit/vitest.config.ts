import { defineProject } from 'vitest/config';

// The amqp/ suites talk to the real RabbitMQ.
export default defineProject({
  test: { name: 'service-kit', include: ['src/**/*.test.ts'], testTimeout: 30_000, hookTimeout: 30_000 },
});
