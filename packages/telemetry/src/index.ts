export * from './amqp-context.js';
export * from './messaging-spans.js';
export * from './metrics.js';
export * from './package-version.js';
export * from './settings.js';
export * from './spans.js';
export * from './start-telemetry.js';
