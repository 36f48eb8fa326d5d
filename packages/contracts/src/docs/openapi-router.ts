/** OpenAPI paths of the message-router (SPEC §5 chat API, plus the operators' dead-letter endpoints). */
import { DeadLettersQuery, DeadLettersResponse, ReplayDeadLettersBody, ReplayDeadLettersResponse } from '../admin.js';
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
import {
  errorResponse,
  json,
  type PathItems,
  pathParameter,
  queryParameters,
  ref,
  type ServiceApi,
  standardErrors,
} from './openapi.js';

const roomIdParam = pathParameter('roomId', 'room id');

const routerPaths: PathItems = {
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
        '404': errorResponse('no such room, or the caller is neither a member nor an admin (the same answer: SPEC §5)'),
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
        '404': errorResponse('no such room, or the caller is not a member (the same answer: SPEC §5)'),
      },
    },
  },
  '/admin/dead-letters': {
    get: {
      tags: ['operations'],
      summary: 'Peek at dead letters without removing them (admin)',
      parameters: queryParameters(DeadLettersQuery),
      responses: {
        '200': { description: 'the oldest dead letters', ...json(ref('DeadLettersResponse')) },
        ...standardErrors,
        '403': errorResponse('admin role required'),
        '503': errorResponse('the broker is unavailable'),
      },
    },
  },
  '/admin/dead-letters/replay': {
    post: {
      tags: ['operations'],
      summary: 'Move dead letters back to their partition; still-invalid ones go to the end of the dead queue (admin)',
      requestBody: { required: false, ...json(ref('ReplayDeadLettersBody')) },
      responses: {
        '200': { description: 'what was replayed', ...json(ref('ReplayDeadLettersResponse')) },
        ...standardErrors,
        '403': errorResponse('admin role required'),
        '503': errorResponse('the broker is unavailable'),
      },
    },
  },
};

const routerSchemas = {
  ErrorBody,
  CreateRoomBody,
  Room,
  MyRoomsResponse,
  StoredMessage,
  HistoryResponse,
  DeadLettersResponse,
  ReplayDeadLettersBody,
  ReplayDeadLettersResponse,
};

export const routerApi: ServiceApi = {
  name: 'message-router',
  port: 8081,
  description: 'Chat HTTP API: rooms, members, history, unread counts',
  paths: routerPaths,
  schemas: routerSchemas,
};
