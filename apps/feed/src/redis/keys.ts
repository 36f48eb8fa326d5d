/**
 * Every Redis key of the feed, under `<namespace>:feed:`. Keys a single command or script uses together
 * share a hash tag (`{…}`), so the layout also works on Redis Cluster: the buckets of one ranking with
 * its merge target and the rebuild's staged copies, a page with its generation counter, a room's dedupe
 * and cap counters, the rankings' mark with the rebuild lock.
 */
import type { Ranking } from '../ranking-sets.js';

export type PageKind = 'feed' | 'popular' | 'authors' | 'tags';
/** What bumps a generation: `feed` on create/delete, `rank` on delete and (coalesced) like/unlike. */
export type Generation = 'feed' | 'rank';

const rankingTag = (r: Ranking): string =>
  r.kind === 'posts' ? `rank:posts:${r.window}:${r.tag === null ? 'all' : `t:${r.tag}`}` : `rank:${r.kind}:${r.window}`;

export function feedKeys(namespace: string) {
  const p = `${namespace}:feed:`;
  return {
    prefix: p,
    post: (postId: string) => `${p}post:${postId}`,
    bucket: (r: Ranking, bucket: number) => `${p}{${rankingTag(r)}}:${bucket}`,
    merged: (r: Ranking) => `${p}{${rankingTag(r)}}:merged`,
    /** a bucket being rebuilt (by the rebuild `token`), renamed over the live one when complete */
    staged: (r: Ranking, bucket: number, token: string) => `${p}{${rankingTag(r)}}:staged:${token}:${bucket}`,
    /** present while the rankings hold everything MongoDB has (written by the last rebuild, no TTL) */
    rankingsMark: `${p}{rankings}:mark`,
    /** one rebuild at a time across replicas */
    rebuildLock: `${p}{rankings}:rebuild-lock`,
    generation: (g: Generation) => `${p}{pages}:gen:${g}`,
    page: (kind: PageKind, variant: string) => `${p}{pages}:${kind}:${variant}`,
    view: (postId: string, userId: string) => `${p}view:${postId}:${userId}`,
    roomSeq: (roomId: string) => `${p}{room:${roomId}}:seq`,
    roomCap: (roomId: string, hour: number) => `${p}{room:${roomId}}:cap:${hour}`,
    roomCreated: (roomId: string) => `${p}{room:${roomId}}:created`,
  };
}
export type FeedKeys = ReturnType<typeof feedKeys>;
