/** OpenAPI paths of the feed service (SPEC §5, feed). */
import {
  AuthorRankingResponse,
  CreatePostBody,
  FeedQuery,
  FeedResponse,
  PopularQuery,
  PopularResponse,
  Post,
  RankingQuery,
  TagRankingResponse,
  UpdatePostBody,
} from '../feed.js';
import { ErrorBody } from '../http.js';
import {
  errorResponse,
  json,
  pathParameter,
  queryParameters,
  ref,
  type ServiceApi,
  standardErrors,
} from './openapi.js';

const postIdParam = pathParameter('postId', 'post id');
const notFound = errorResponse('no such post');
const notAuthor = errorResponse('only the author or an admin may change the post');
/** Ranked reads answer 503 rather than an empty or partial ranking while the rankings are rebuilt. */
const rankingsUnavailable = {
  ...errorResponse(
    'the rankings are being rebuilt from the post store after the cache lost them (seconds), or a store is down',
  ),
  headers: {
    'Retry-After': { description: 'seconds to wait (while rebuilding)', schema: { type: 'integer', minimum: 1 } },
  },
};

export const feedApi: ServiceApi = {
  name: 'feed',
  port: 8083,
  description: 'Coffee-chat posts, the feed, and popularity from time-decayed engagement (views, likes, chat activity)',
  paths: {
    '/posts': {
      post: {
        tags: ['posts'],
        summary: 'Create a post',
        requestBody: { required: true, ...json(ref('CreatePostBody')) },
        responses: { '201': { description: 'created', ...json(ref('Post')) }, ...standardErrors },
      },
    },
    '/posts/{postId}': {
      get: {
        tags: ['posts'],
        summary: 'A post with its counters; counts a view (at most one per user per post per hour)',
        parameters: [postIdParam],
        responses: { '200': { description: 'the post', ...json(ref('Post')) }, ...standardErrors, '404': notFound },
      },
      patch: {
        tags: ['posts'],
        summary: 'Edit a post (author or admin)',
        parameters: [postIdParam],
        requestBody: { required: true, ...json(ref('UpdatePostBody')) },
        responses: {
          '200': { description: 'the edited post', ...json(ref('Post')) },
          ...standardErrors,
          '403': notAuthor,
          '404': notFound,
        },
      },
      delete: {
        tags: ['posts'],
        summary: 'Delete a post (author or admin)',
        parameters: [postIdParam],
        responses: { '204': { description: 'deleted' }, ...standardErrors, '403': notAuthor, '404': notFound },
      },
    },
    '/posts/{postId}/like': {
      put: {
        tags: ['posts'],
        summary: 'Like a post (idempotent)',
        parameters: [postIdParam],
        responses: { '204': { description: 'liked' }, ...standardErrors, '404': notFound },
      },
      delete: {
        tags: ['posts'],
        summary: 'Take a like back (idempotent)',
        parameters: [postIdParam],
        responses: { '204': { description: 'not liked' }, ...standardErrors, '404': notFound },
      },
    },
    '/feed': {
      get: {
        tags: ['feed'],
        summary: 'Newest posts first; the opaque cursor gives no duplicates or gaps while posts arrive',
        parameters: queryParameters(FeedQuery),
        responses: { '200': { description: 'a page', ...json(ref('FeedResponse')) }, ...standardErrors },
      },
    },
    '/posts/popular': {
      get: {
        tags: ['feed'],
        summary: 'Posts ranked by time-decayed engagement in a window, optionally of one tag',
        parameters: queryParameters(PopularQuery),
        responses: {
          '200': { description: 'ranked posts', ...json(ref('PopularResponse')) },
          ...standardErrors,
          '503': rankingsUnavailable,
        },
      },
    },
    '/rankings/authors': {
      get: {
        tags: ['rankings'],
        summary: 'Authors ranked by the engagement of their posts',
        parameters: queryParameters(RankingQuery),
        responses: {
          '200': { description: 'ranked authors', ...json(ref('AuthorRankingResponse')) },
          ...standardErrors,
          '503': rankingsUnavailable,
        },
      },
    },
    '/rankings/tags': {
      get: {
        tags: ['rankings'],
        summary: 'Tags ranked by the engagement of their posts',
        parameters: queryParameters(RankingQuery),
        responses: {
          '200': { description: 'ranked tags', ...json(ref('TagRankingResponse')) },
          ...standardErrors,
          '503': rankingsUnavailable,
        },
      },
    },
  },
  schemas: {
    ErrorBody,
    CreatePostBody,
    UpdatePostBody,
    Post,
    FeedResponse,
    PopularResponse,
    AuthorRankingResponse,
    TagRankingResponse,
  },
};
