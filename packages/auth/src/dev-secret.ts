/**
 * The built-in development secret that `npm start`, `npm test`, the benches and `npm run token` share.
 * Services use it only when it is chosen explicitly (`JWT_DEV_SECRET=1`, or `JWT_SECRET` set to it), and
 * never with NODE_ENV=production (SPEC §2): anyone can read it here and mint admin tokens with it.
 */
export const DEV_JWT_SECRET = 'coffeechat-dev-secret-do-not-use-in-production';

/**
 * Whether these settings chose the development secret: the one check behind development-only
 * features, such as the web app's `/dev/token` sign-in. Follows however the secret gets chosen.
 */
export function usesDevelopmentSecret(settings: { kind: string; secret?: string }): boolean {
  return settings.kind === 'secret' && settings.secret === DEV_JWT_SECRET;
}
