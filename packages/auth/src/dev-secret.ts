/**
 * The built-in development secret that `npm start` and `npm run token` share. A service refuses to
 * start on it with NODE_ENV=production.
 */
export const DEV_JWT_SECRET = 'coffeechat-dev-secret-do-not-use-in-production';
