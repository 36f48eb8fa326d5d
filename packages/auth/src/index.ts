export * from './caching-verifier.js';
export * from './dev-secret.js';
export * from './mint.js';
export * from './verifier.js';
