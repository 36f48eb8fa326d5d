/**
 * The feed service's public HTTP bodies (SPEC §5, feed) and its private broker names. The feed
 * consumes `RoomCreatedEvent` and `MessageStoredEvent` (broker.ts) from the events exchange.
 */
import { type Static, Type } from '@sinclair/typebox';
import { exchange } from './exchanges.js';
import { IsoTime, PostId, UserId } from './ids.js';

const strict = { additionalProperties: false } as const;

export const FeedLimits = {
  titleMax: 120,
  bodyMax: 5000,
  tagsMax: 5,
  tagMax: 30,
  pageDefault: 20,
  pageMax: 100,
} as const;

/** Some visible character; whitespace-only titles and bodies are rejected. */
const visible = '\\S';
/** Tags end up in Redis key names and query strings: no whitespace, control characters, braces or commas. */
export const Tag = Type.String({ minLength: 1, maxLength: FeedLimits.tagMax, pattern: '^[^\\u0000-\\u001f\\s{},]+$' });
const Title = Type.String({ minLength: 1, maxLength: FeedLimits.titleMax, pattern: visible });
const Body = Type.String({ minLength: 1, maxLength: FeedLimits.bodyMax, pattern: visible });
const Tags = Type.Array(Tag, { maxItems: FeedLimits.tagsMax });

export const CreatePostBody = Type.Object({ title: Title, body: Body, tags: Type.Optional(Tags) }, strict);
export type CreatePostBody = Static<typeof CreatePostBody>;

export const UpdatePostBody = Type.Object(
  { title: Type.Optional(Title), body: Type.Optional(Body), tags: Type.Optional(Tags) },
  { ...strict, minProperties: 1 },
);
export type UpdatePostBody = Static<typeof UpdatePostBody>;

export const Post = Type.Object(
  {
    postId: PostId,
    authorId: UserId,
    title: Type.String(),
    body: Type.String(),
    /** lower-cased, without duplicates */
    tags: Type.Array(Type.String()),
    createdAt: IsoTime,
    updatedAt: IsoTime,
    /** distinct viewers, each counted at most once per hour */
    views: Type.Integer({ minimum: 0 }),
    likes: Type.Integer({ minimum: 0 }),
    /** chat messages stored in the rooms arranged from this post */
    chats: Type.Integer({ minimum: 0 }),
    /** chat rooms arranged from this post */
    rooms: Type.Integer({ minimum: 0 }),
  },
  strict,
);
export type Post = Static<typeof Post>;

export const PostParams = Type.Object({ postId: PostId }, strict);

/** 1 to `FeedLimits.pageMax` in decimal digits. */
export const FeedPageLimit = Type.String({ pattern: '^(100|[1-9][0-9]?)$' });

export const FeedQuery = Type.Object(
  { cursor: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })), limit: Type.Optional(FeedPageLimit) },
  strict,
);
export const FeedResponse = Type.Object(
  {
    posts: Type.Array(Post),
    /** pass back as `cursor` for the next (older) page; null at the end */
    nextCursor: Type.Union([Type.String(), Type.Null()]),
  },
  strict,
);
export type FeedResponse = Static<typeof FeedResponse>;

export const PopularWindow = Type.Union([Type.Literal('1h'), Type.Literal('24h'), Type.Literal('7d')]);
export type PopularWindow = Static<typeof PopularWindow>;
export const RankingWindow = Type.Union([Type.Literal('24h'), Type.Literal('7d')]);
export type RankingWindow = Static<typeof RankingWindow>;

export const PopularQuery = Type.Object(
  { window: Type.Optional(PopularWindow), tag: Type.Optional(Tag), limit: Type.Optional(FeedPageLimit) },
  strict,
);
export const PopularPost = Type.Composite([
  Type.Object({ score: Type.Number({ description: 'time-decayed engagement points as of the ranking' }) }),
  Post,
]);
export const PopularResponse = Type.Object(
  { window: PopularWindow, tag: Type.Union([Type.String(), Type.Null()]), posts: Type.Array(PopularPost) },
  strict,
);
export type PopularResponse = Static<typeof PopularResponse>;

export const RankingQuery = Type.Object(
  { window: Type.Optional(RankingWindow), limit: Type.Optional(FeedPageLimit) },
  strict,
);
export const AuthorRankingResponse = Type.Object(
  {
    window: RankingWindow,
    authors: Type.Array(Type.Object({ authorId: UserId, score: Type.Number() }, strict)),
  },
  strict,
);
export type AuthorRankingResponse = Static<typeof AuthorRankingResponse>;
export const TagRankingResponse = Type.Object(
  { window: RankingWindow, tags: Type.Array(Type.Object({ tag: Type.String(), score: Type.Number() }, strict)) },
  strict,
);
export type TagRankingResponse = Static<typeof TagRankingResponse>;

/** The feed's own broker objects: a durable queue bound to the events it counts, and its dead letters. */
export function feedTopology(namespace: string) {
  const deadLetter = exchange(`${namespace}.feed.dlx`, 'fanout');
  return {
    exchanges: { deadLetter },
    /** quorum queue, single active consumer (per-room order), bound to `room.created` and `message.stored` */
    eventsQueue: `${namespace}.feed.events`,
    /** malformed events and events past the delivery limit land in `deadQueue` */
    deadLetterExchange: deadLetter.name,
    deadQueue: `${namespace}.feed.dead`,
  };
}
