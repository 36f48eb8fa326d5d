export * from './broker.js';
export * from './common-config.js';
export * from './env.js';
export * from './http.js';
export * from './http-problem.js';
export * from './logger.js';
export * from './metrics.js';
export * from './shutdown.js';
