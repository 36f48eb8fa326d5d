export * from './broker.js';
export * from './errors.js';
export * from './frames.js';
export * from './http.js';
export * from './ids.js';
export * from './limits.js';
export * from './partition.js';
export * from './validate.js';
