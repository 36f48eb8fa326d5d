/**
 * Development sign-in: `POST /dev/token {userId, admin?}` answers a token signed with the development
 * secret, so a person can type a user name and chat. The route is mounted only while the development
 * secret is in use (`WebConfig.devTokens`); anywhere else it does not exist (404).
 */
import { mintToken } from '@coffeechat/auth';
import { UserId } from '@coffeechat/contracts';
import { handle, parsePart } from '@coffeechat/service-kit';
import { Type } from '@sinclair/typebox';
import { Router } from 'express';

const DevTokenBody = Type.Object(
  { userId: UserId, admin: Type.Optional(Type.Boolean()) },
  { additionalProperties: false },
);
const devTokenBody = parsePart(DevTokenBody);

export interface DevTokenSettings {
  secret: string;
  issuer?: string;
  audience?: string;
}

export function devTokenRoutes(settings: DevTokenSettings): Router {
  const router = Router();
  router.post(
    '/dev/token',
    handle(async (req, res) => {
      const { userId, admin } = devTokenBody(req.body, 'body');
      const token = await mintToken(userId, {
        secret: settings.secret,
        admin: admin === true,
        ttl: '1h',
        ...(settings.issuer ? { issuer: settings.issuer } : {}),
        ...(settings.audience ? { audience: settings.audience } : {}),
      });
      res.json({ token });
    }),
  );
  return router;
}
