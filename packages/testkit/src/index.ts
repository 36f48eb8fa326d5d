export * from './eventually.js';
export * from './otlp-receiver.js';
export * from './ports.js';
export * from './prometheus-text.js';
export * from './servers.js';
export * from './service-process.js';
export * from './tokens.js';
