/** OpenAPI paths of the presence service (SPEC §5, presence). */
import { ErrorBody } from '../http.js';
import { PresenceQuery, PresenceResponse, UserPresence } from '../presence.js';
import { json, queryParameters, ref, type ServiceApi, standardErrors } from './openapi.js';

export const presenceApi: ServiceApi = {
  name: 'presence',
  port: 8082,
  description: 'Who is online: a user is online while at least one WebSocket of theirs is open on any gateway',
  paths: {
    '/presence': {
      get: {
        tags: ['presence'],
        summary: 'Status and last-seen time of up to 100 users (comma-separated ids)',
        parameters: queryParameters(PresenceQuery),
        responses: {
          '200': { description: 'one entry per requested id', ...json(ref('PresenceResponse')) },
          ...standardErrors,
          '503': { description: 'Redis is unavailable', ...json(ref('ErrorBody')) },
        },
      },
    },
  },
  schemas: { ErrorBody, UserPresence, PresenceResponse },
};
