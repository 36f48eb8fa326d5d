/** `GET /presence?userIds=a,b,c` (SPEC §5): any authenticated caller, at most 100 ids. */
import type { Verifier } from '@coffeechat/auth';
import { PresenceQuery, type PresenceResponse, type VersionedPresence } from '@coffeechat/contracts';
import { HttpProblem, handle, parsePart, requireAuth } from '@coffeechat/service-kit';
import type express from 'express';
import { parseUserIds } from '../user-ids.js';

export interface PresenceRoutesDeps {
  verify: Verifier;
  read: (userIds: readonly string[]) => Promise<Map<string, VersionedPresence>>;
  onQuery: () => void;
}

const parseQuery = parsePart(PresenceQuery);

export function addPresenceRoutes(app: express.Express, { verify, read, onQuery }: PresenceRoutesDeps): void {
  app.get(
    '/presence',
    requireAuth(verify),
    handle(async (req, res) => {
      const parsed = parseUserIds(parseQuery(req.query, 'query').userIds);
      if (!parsed.ok) throw new HttpProblem('BAD_REQUEST', `query.${parsed.message}`, 'userIds');
      let users: Map<string, VersionedPresence>;
      try {
        users = await read(parsed.userIds);
      } catch {
        throw new HttpProblem('UNAVAILABLE', 'presence store unavailable');
      }
      const body: PresenceResponse = {};
      for (const [userId, { status, lastSeen }] of users) body[userId] = { status, lastSeen };
      onQuery();
      res.json(body);
    }),
  );
}
