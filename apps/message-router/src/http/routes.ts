/** The chat HTTP API of SPEC §5 and the operator's dead-letter endpoints. */
import {
  AdminLimits,
  CreateRoomBody,
  type DeadLetter,
  DeadLettersQuery,
  HistoryQuery,
  type HistoryResponse,
  Limits,
  MemberParams,
  MyRoomsQuery,
  type MyRoomsResponse,
  ReplayDeadLettersBody,
  type ReplayDeadLettersResponse,
  RoomLimits,
  RoomParams,
} from '@coffeechat/contracts';
import { HttpProblem, handle, identityOf, parsePart, requireAdmin } from '@coffeechat/service-kit';
import { type ErrorRequestHandler, type RequestHandler, Router } from 'express';
import { isTransient } from '../failures.js';
import type { RoomService } from '../rooms.js';
import { decodeCursor, encodeCursor } from './cursor.js';

const createBody = parsePart(CreateRoomBody);
const roomParams = parsePart(RoomParams);
const memberParams = parsePart(MemberParams);
const myRoomsQuery = parsePart(MyRoomsQuery);
const historyQuery = parsePart(HistoryQuery);
const deadLettersQuery = parsePart(DeadLettersQuery);
const replayBody = parsePart(ReplayDeadLettersBody);

function limitOf(value: string | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (n > max) throw new HttpProblem('BAD_REQUEST', `query.limit: at most ${max}`, 'limit');
  return n;
}

/** A room's stored messages, a page at a time (implemented in mongo/message-repository.ts). */
export interface HistorySource {
  page(roomId: string, range: { afterSeq?: number; beforeSeq?: number; limit: number }): Promise<HistoryResponse>;
}

/** The operator's view of the dead letters (implemented in amqp/dead-letter-admin.ts). */
export interface DeadLetterOperations {
  peek(limit: number): Promise<{ total: number; deadLetters: DeadLetter[] }>;
  replay(limit: number): Promise<ReplayDeadLettersResponse>;
}

export interface RoutesDeps {
  /** `requireAuth`: the caller's token, and their requests per second */
  auth: RequestHandler;
  rooms: RoomService;
  messages: HistorySource;
  deadLetters: DeadLetterOperations;
}

export function chatRoutes({ auth, rooms, messages, deadLetters }: RoutesDeps): Router {
  const router = Router();
  router.use(auth);

  router.post(
    '/rooms',
    handle(async (req, res) => {
      requireAdmin(req);
      res.status(201).json(await rooms.create(createBody(req.body, 'body')));
    }),
  );

  router.get(
    '/rooms/:roomId',
    handle(async (req, res) => {
      const { roomId } = roomParams(req.params, 'params');
      const me = identityOf(req);
      const doc = await rooms.visibleTo(roomId, me.userId, { admin: me.admin });
      res.json(await rooms.view(doc));
    }),
  );

  router.put(
    '/rooms/:roomId/members/:userId',
    handle(async (req, res) => {
      requireAdmin(req);
      const { roomId, userId } = memberParams(req.params, 'params');
      await rooms.addMember(roomId, userId);
      res.status(204).end();
    }),
  );

  router.delete(
    '/rooms/:roomId/members/:userId',
    handle(async (req, res) => {
      requireAdmin(req);
      const { roomId, userId } = memberParams(req.params, 'params');
      await rooms.removeMember(roomId, userId);
      res.status(204).end();
    }),
  );

  router.get(
    '/me/rooms',
    handle(async (req, res) => {
      const query = myRoomsQuery(req.query, 'query');
      const limit = limitOf(query.limit, RoomLimits.roomsPageDefault, RoomLimits.roomsPageMax);
      const after = query.cursor !== undefined ? decodeCursor(query.cursor) : undefined;
      const page = await rooms.listMine(identityOf(req).userId, after, limit);
      const body: MyRoomsResponse = { rooms: page.rooms, nextCursor: page.next ? encodeCursor(page.next) : null };
      res.json(body);
    }),
  );

  router.get(
    '/rooms/:roomId/messages',
    handle(async (req, res) => {
      const { roomId } = roomParams(req.params, 'params');
      const query = historyQuery(req.query, 'query');
      const limit = limitOf(query.limit, Limits.historyPageDefault, Limits.historyPageMax);
      // members only (SPEC §5): an admin token reads no chat history
      await rooms.visibleTo(roomId, identityOf(req).userId, { admin: false });
      const body: HistoryResponse = await messages.page(roomId, {
        limit,
        ...(query.afterSeq !== undefined ? { afterSeq: Number(query.afterSeq) } : {}),
        ...(query.beforeSeq !== undefined ? { beforeSeq: Number(query.beforeSeq) } : {}),
      });
      res.json(body);
    }),
  );

  router.get(
    '/admin/dead-letters',
    handle(async (req, res) => {
      requireAdmin(req);
      const query = deadLettersQuery(req.query, 'query');
      const limit = limitOf(query.limit, AdminLimits.deadLettersPageDefault, AdminLimits.deadLettersPageMax);
      res.json(await deadLetters.peek(limit));
    }),
  );

  router.post(
    '/admin/dead-letters/replay',
    handle(async (req, res) => {
      requireAdmin(req);
      const body = replayBody(req.body, 'body');
      res.json(await deadLetters.replay(body.limit ?? AdminLimits.replayDefault));
    }),
  );

  // A store or broker outage is the client's 503 (retry later), not a 500.
  const unavailable: ErrorRequestHandler = (err: unknown, _req, _res, next) => {
    next(isTransient(err) ? new HttpProblem('UNAVAILABLE', 'chat store or broker unavailable; try again') : err);
  };
  router.use(unavailable);
  return router;
}
