/** `npm run token -- <userId> [--admin] [--ttl 1h]`: prints a token signed with JWT_SECRET or the dev secret. */
import { parseArgs } from 'node:util';
import { DEV_JWT_SECRET } from './dev-secret.js';
import { mintToken } from './mint.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { admin: { type: 'boolean', default: false }, ttl: { type: 'string', default: '1h' } },
});
const userId = positionals[0];
if (!userId || positionals.length > 1) {
  console.error('usage: npm run token -- <userId> [--admin] [--ttl 1h]');
  process.exit(2);
}
const token = await mintToken(userId, {
  secret: process.env.JWT_SECRET ?? DEV_JWT_SECRET,
  admin: values.admin,
  ttl: values.ttl,
  ...(process.env.JWT_ISSUER ? { issuer: process.env.JWT_ISSUER } : {}),
  ...(process.env.JWT_AUDIENCE ? { audience: process.env.JWT_AUDIENCE } : {}),
});
console.log(token);
