import { DEV_JWT_SECRET, mintToken } from '@coffeechat/auth';

export const TEST_JWT_SECRET = DEV_JWT_SECRET;

export const tokenFor = (userId: string, options: { admin?: boolean; ttl?: string; secret?: string } = {}) =>
  mintToken(userId, { secret: options.secret ?? TEST_JWT_SECRET, ...options });

/**
 * The settings that choose the development secret, the one `tokenFor` signs with (SPEC §2: tests choose it
 * explicitly; a service given no choice refuses to start). Blanks a JWT_SECRET or JWT_JWKS_URL inherited
 * from the shell, which would otherwise be a second choice.
 */
export const TEST_AUTH_ENV = { JWT_DEV_SECRET: '1', JWT_SECRET: '', JWT_JWKS_URL: '' } as const;

/**
 * `TEST_AUTH_ENV`, unless `env` makes its own choice of token settings; then the choices inherited from the
 * shell (or from `npm test`, which sets JWT_DEV_SECRET=1) are blanked, so `env`'s is the only one.
 */
export function testAuthEnv(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const ownChoice = env.JWT_SECRET || env.JWT_JWKS_URL || env.JWT_DEV_SECRET;
  return ownChoice ? { JWT_DEV_SECRET: '', JWT_SECRET: '', JWT_JWKS_URL: '' } : { ...TEST_AUTH_ENV };
}
