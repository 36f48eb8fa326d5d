import type { Post } from '@coffeechat/contracts';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { describeError } from '../chat/chat-store.js';
import { useServices } from './context.js';
import { PostCard } from './post-card.js';

/** The newest posts, paged on the feed's cursor as the reader scrolls. */
export function FeedPage() {
  const { feed } = useServices();
  const [posts, setPosts] = useState<Post[]>([]);
  const [cursor, setCursor] = useState<string | null | undefined>(undefined); // undefined: first page not loaded
  const [loading, setLoading] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const sentinel = useRef<HTMLDivElement>(null);
  const busy = useRef(false);

  const loadMore = useCallback(async () => {
    if (busy.current || cursor === null) return;
    busy.current = true;
    setLoading(true);
    try {
      const page = await feed.feed(cursor);
      setPosts((shown) => {
        const ids = new Set(shown.map((p) => p.postId));
        return [...shown, ...page.posts.filter((p) => !ids.has(p.postId))];
      });
      setCursor(page.nextCursor);
      setError(null);
    } catch (err) {
      setError(`Could not load the feed: ${describeError(err)}`);
    } finally {
      busy.current = false;
      setLoading(false);
    }
  }, [feed, cursor]);

  useEffect(() => {
    if (cursor === undefined) void loadMore();
  }, [cursor, loadMore]);

  useEffect(() => {
    const el = sentinel.current;
    if (!el || cursor === null) return;
    const observer = new IntersectionObserver((entries) => {
      if (entries.some((e) => e.isIntersecting)) void loadMore();
    });
    observer.observe(el);
    return () => observer.disconnect();
  }, [loadMore, cursor]);

  return (
    <section class="feed" aria-labelledby="feed-heading">
      <div class="section-head">
        <h1 id="feed-heading">Coffee-chat posts</h1>
        <a class="button" href="/posts/new">
          Write a post
        </a>
      </div>
      <div class="post-list">
        {posts.map((p) => (
          <PostCard key={p.postId} post={p} />
        ))}
      </div>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {cursor === null ? (
        <p class="end">{posts.length === 0 ? 'No posts yet.' : 'You have seen every post.'}</p>
      ) : (
        <div ref={sentinel} class="more">
          <button type="button" onClick={() => void loadMore()} disabled={loading}>
            {loading ? 'Loading…' : 'Load more'}
          </button>
        </div>
      )}
    </section>
  );
}
