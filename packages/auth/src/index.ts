export { AuthError } from './auth-error.js';
export * from './auth-settings.js';
export * from './caching-verifier.js';
export * from './dev-secret.js';
export type { Identity } from './jwt-claims.js';
export * from './mint.js';
export * from './token-policy.js';
export * from './verifier.js';
