/**
 * The OpenAPI 3.1 document of the HTTP APIs (SPEC §5), built from the same TypeBox schemas the
 * services validate with, so the document cannot drift from the code (docs.test.ts compares it
 * with the committed docs/api/openapi.yaml).
 */
import type { TSchema } from '@sinclair/typebox';
import {
  CreateRoomBody,
  ErrorBody,
  HistoryQuery,
  HistoryResponse,
  MyRoomsQuery,
  MyRoomsResponse,
  Room,
  StoredMessage,
} from '../http.js';
import { plain } from './json-schema.js';

type Operation = Record<string, unknown>;
export type PathItems = Record<string, Record<string, Operation>>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const json = (schema: object) => ({ content: { 'application/json': { schema } } });
export const errorResponse = (description: string) => ({ description, ...json(ref('ErrorBody')) });

export const standardErrors = {
  '400': errorResponse('validation failed; `error.field` names the field'),
  '401': errorResponse('missing, invalid or expired bearer token'),
};

/** Query parameters from a TypeBox object schema of optional string fields. */
export function queryParameters(schema: TSchema): object[] {
  const properties = (schema as { properties?: Record<string, TSchema> }).properties ?? {};
  const required = new Set((schema as { required?: string[] }).required ?? []);
  return Object.entries(properties).map(([name, s]) => ({
    name,
    in: 'query',
    required: required.has(name),
    schema: plain(s),
  }));
}

export const pathParameter = (name: string, description: string) => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: { type: 'string' },
});

const roomIdParam = pathParameter('roomId', 'room id');

export const routerPaths: PathItems = {
  '/rooms': {
    post: {
      tags: ['chat'],
      summary: 'Create a room (admin)',
      requestBody: { required: true, ...json(ref('CreateRoomBody')) },
      responses: {
        '201': { description: 'created', ...json(ref('Room')) },
        ...standardErrors,
        '403': errorResponse('admin role required'),
        '409': errorResponse('a room with this id exists'),
      },
    },
  },
  '/rooms/{roomId}': {
    get: {
      tags: ['chat'],
      summary: 'A room (member or admin)',
      parameters: [roomIdParam],
      responses: {
        '200': { description: 'the room', ...json(ref('Room')) },
        ...standardErrors,
        '403': errorResponse('not a member'),
        '404': errorResponse('no such room'),
      },
    },
  },
  '/rooms/{roomId}/members/{userId}': {
    put: {
      tags: ['chat'],
      summary: 'Add a member (admin); live connections may join at once',
      parameters: [roomIdParam, pathParameter('userId', 'user id')],
      responses: {
        '204': { description: 'member added (or already a member)' },
        ...standardErrors,
        '403': errorResponse('admin role required'),
        '404': errorResponse('no such room'),
        '409': errorResponse('the room is full (ROOM_MAX_MEMBERS)'),
      },
    },
    delete: {
      tags: ['chat'],
      summary: 'Remove a member (admin); their connections get `removed` at once',
      parameters: [roomIdParam, pathParameter('userId', 'user id')],
      responses: {
        '204': { description: 'member removed (or was not a member)' },
        ...standardErrors,
        '403': errorResponse('admin role required'),
        '404': errorResponse('no such room'),
      },
    },
  },
  '/me/rooms': {
    get: {
      tags: ['chat'],
      summary: "The caller's rooms with unread counts",
      parameters: queryParameters(MyRoomsQuery),
      responses: {
        '200': { description: 'a page of rooms', ...json(ref('MyRoomsResponse')) },
        ...standardErrors,
      },
    },
  },
  '/rooms/{roomId}/messages': {
    get: {
      tags: ['chat'],
      summary: 'Message history in ascending seq (member)',
      parameters: [roomIdParam, ...queryParameters(HistoryQuery)],
      responses: {
        '200': { description: 'a page of messages', ...json(ref('HistoryResponse')) },
        ...standardErrors,
        '403': errorResponse('not a member'),
        '404': errorResponse('no such room'),
      },
    },
  },
};

export const routerSchemas: Record<string, TSchema> = {
  ErrorBody,
  CreateRoomBody,
  Room,
  MyRoomsResponse,
  StoredMessage,
  HistoryResponse,
};

export interface ServiceApi {
  name: string;
  port: number;
  description: string;
  paths: PathItems;
  schemas: Record<string, TSchema>;
}

export const routerApi: ServiceApi = {
  name: 'message-router',
  port: 8081,
  description: 'Chat HTTP API: rooms, members, history, unread counts',
  paths: routerPaths,
  schemas: routerSchemas,
};

/** One document per service: each listens on its own port (SPEC §2). */
export function buildOpenApi(api: ServiceApi): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: `CoffeeChat ${api.name}`,
      version: '1.0.0',
      description: `${api.description}. Errors use {"error":{"code","message"}}; unknown body fields are rejected with 400.`,
    },
    servers: [{ url: `http://127.0.0.1:${api.port}` }],
    security: [{ bearer: [] }],
    paths: api.paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: Object.fromEntries(Object.entries(api.schemas).map(([name, s]) => [name, plain(s)])),
    },
  };
}
