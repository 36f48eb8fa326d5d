/** The feed's HTTP API (SPEC §5 feed). Every route needs a bearer token; bodies and queries are strict. */
import {
  CreatePostBody,
  FeedLimits,
  FeedQuery,
  PopularQuery,
  PostParams,
  RankingQuery,
  UpdatePostBody,
} from '@coffeechat/contracts';
import { HttpProblem, handle, identityOf, parsePart } from '@coffeechat/service-kit';
import type { Express, RequestHandler, Response } from 'express';
import { decodeCursor } from '../cursor.js';
import type { PostsService } from '../posts-service.js';
import type { ReadsService } from '../reads-service.js';
import { DEFAULT_POPULAR_WINDOW, DEFAULT_RANKING_WINDOW } from '../windows.js';

const createBody = parsePart(CreatePostBody);
const updateBody = parsePart(UpdatePostBody);
const postParams = parsePart(PostParams);
const feedQuery = parsePart(FeedQuery);
const popularQuery = parsePart(PopularQuery);
const rankingQuery = parsePart(RankingQuery);

/** Sends JSON that is already serialized (cached pages and posts are stored as JSON text). */
const sendJson = (res: Response, status: number, json: string) => {
  res.status(status).type('application/json').send(json);
};

const limitOf = (limit: string | undefined) => (limit === undefined ? FeedLimits.pageDefault : Number(limit));

/** `auth`: `requireAuth`, the caller's token and their requests per second */
export function feedRoutes(app: Express, auth: RequestHandler, posts: PostsService, reads: ReadsService): void {
  app.post(
    '/posts',
    auth,
    handle(async (req, res) => {
      const entry = await posts.create(identityOf(req), createBody(req.body, 'body'));
      sendJson(res, 201, entry.json);
    }),
  );

  // before /posts/:postId, which would take "popular" for an id
  app.get(
    '/posts/popular',
    auth,
    handle(async (req, res) => {
      const q = popularQuery(req.query, 'query');
      const tag = q.tag === undefined ? null : q.tag.toLowerCase();
      sendJson(res, 200, await reads.popular(q.window ?? DEFAULT_POPULAR_WINDOW, tag, limitOf(q.limit)));
    }),
  );

  app.get(
    '/posts/:postId',
    auth,
    handle(async (req, res) => {
      const { postId } = postParams(req.params, 'params');
      sendJson(res, 200, (await posts.view(identityOf(req), postId)).json);
    }),
  );

  app.patch(
    '/posts/:postId',
    auth,
    handle(async (req, res) => {
      const { postId } = postParams(req.params, 'params');
      const body = updateBody(req.body, 'body');
      sendJson(res, 200, (await posts.update(identityOf(req), postId, body)).json);
    }),
  );

  app.delete(
    '/posts/:postId',
    auth,
    handle(async (req, res) => {
      const { postId } = postParams(req.params, 'params');
      await posts.remove(identityOf(req), postId);
      res.status(204).end();
    }),
  );

  app.put(
    '/posts/:postId/like',
    auth,
    handle(async (req, res) => {
      const { postId } = postParams(req.params, 'params');
      await posts.like(identityOf(req), postId);
      res.status(204).end();
    }),
  );

  app.delete(
    '/posts/:postId/like',
    auth,
    handle(async (req, res) => {
      const { postId } = postParams(req.params, 'params');
      await posts.unlike(identityOf(req), postId);
      res.status(204).end();
    }),
  );

  app.get(
    '/feed',
    auth,
    handle(async (req, res) => {
      const q = feedQuery(req.query, 'query');
      const after = q.cursor === undefined ? null : decodeCursor(q.cursor);
      if (q.cursor !== undefined && !after) {
        throw new HttpProblem('BAD_REQUEST', 'query.cursor: not a cursor of this feed', 'cursor');
      }
      sendJson(res, 200, await reads.feed(after, q.cursor ?? null, limitOf(q.limit)));
    }),
  );

  app.get(
    '/rankings/authors',
    auth,
    handle(async (req, res) => {
      const q = rankingQuery(req.query, 'query');
      sendJson(res, 200, await reads.authors(q.window ?? DEFAULT_RANKING_WINDOW, limitOf(q.limit)));
    }),
  );

  app.get(
    '/rankings/tags',
    auth,
    handle(async (req, res) => {
      const q = rankingQuery(req.query, 'query');
      sendJson(res, 200, await reads.tags(q.window ?? DEFAULT_RANKING_WINDOW, limitOf(q.limit)));
    }),
  );
}
