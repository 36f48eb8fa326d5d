/** `GET /presence?userIds=a,b,c` (SPEC §5): any authenticated caller, at most 100 ids. */
import { PresenceQuery, type PresenceResponse, type VersionedPresence } from '@coffeechat/contracts';
import { HttpProblem, handle, parsePart } from '@coffeechat/service-kit';
import type { Express, RequestHandler } from 'express';
import { parseUserIds } from '../user-ids.js';

export interface PresenceRoutesDeps {
  /** `requireAuth`: the caller's token, and their requests per second */
  auth: RequestHandler;
  read: (userIds: readonly string[]) => Promise<Map<string, VersionedPresence>>;
  onQuery: () => void;
}

const parseQuery = parsePart(PresenceQuery);

export function addPresenceRoutes(app: Express, { auth, read, onQuery }: PresenceRoutesDeps): void {
  app.get(
    '/presence',
    auth,
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
