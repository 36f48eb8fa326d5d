import { DEV_JWT_SECRET, mintToken } from '@coffeechat/auth';

export const TEST_JWT_SECRET = DEV_JWT_SECRET;

export const tokenFor = (userId: string, options: { admin?: boolean; ttl?: string; secret?: string } = {}) =>
  mintToken(userId, { secret: options.secret ?? TEST_JWT_SECRET, ...options });
