/**
 * The built-in development secret that `npm start` and `npm run token` share. A service refuses to
 * start on it with NODE_ENV=production.
 */
export const DEV_JWT_SECRET = 'coffeechat-dev-secret-do-not-use-in-production';

/**
 * Whether these settings chose the development secret: the one check behind development-only
 * features, such as the web app's `/dev/token` sign-in. Follows however the secret gets chosen.
 */
export function usesDevelopmentSecret(settings: { kind: string; secret?: string }): boolean {
  return settings.kind === 'secret' && settings.secret === DEV_JWT_SECRET;
}
