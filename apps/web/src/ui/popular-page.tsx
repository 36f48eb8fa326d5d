import type { PopularResponse, PopularWindow } from '@coffeechat/contracts';
import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { describeError } from '../chat/chat-store.js';
import { useServices } from './context.js';
import { PostCard } from './post-card.js';

const WINDOWS: PopularWindow[] = ['1h', '24h', '7d'];

/** Posts ranked by time-decayed engagement in a window, optionally of one tag. */
export function PopularPage() {
  const { feed } = useServices();
  const { query, route } = useLocation();
  const window: PopularWindow = WINDOWS.includes(query.window as PopularWindow)
    ? (query.window as PopularWindow)
    : '24h';
  const tag = query.tag ?? '';
  const [tagInput, setTagInput] = useState(tag);
  const [result, setResult] = useState<PopularResponse | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    let current = true;
    setTagInput(tag);
    feed.popular(window, tag || undefined).then(
      (r) => {
        if (!current) return;
        setResult(r);
        setError(null);
      },
      (err: unknown) => {
        if (current) setError(`Could not load popular posts: ${describeError(err)}`);
      },
    );
    return () => {
      current = false;
    };
  }, [feed, window, tag]);

  const go = (w: PopularWindow, t: string) => {
    const params = new URLSearchParams({ window: w, ...(t ? { tag: t } : {}) });
    route(`/posts/popular?${params}`);
  };

  return (
    <section class="popular" aria-labelledby="popular-heading">
      <h1 id="popular-heading">Popular{tag ? ` in #${tag}` : ''}</h1>
      <div class="filters">
        <fieldset class="segmented">
          <legend class="visually-hidden">Time window</legend>
          {WINDOWS.map((w) => (
            <button key={w} type="button" aria-pressed={w === window} onClick={() => go(w, tag)}>
              {w}
            </button>
          ))}
        </fieldset>
        <form
          class="tag-filter"
          onSubmit={(e) => {
            e.preventDefault();
            go(window, tagInput.trim().replace(/^#/, '').toLowerCase());
          }}
        >
          <label for="tag-filter">Tag</label>
          <input id="tag-filter" value={tagInput} maxLength={30} onInput={(e) => setTagInput(e.currentTarget.value)} />
          <button type="submit">Filter</button>
          {tag && (
            <button type="button" onClick={() => go(window, '')}>
              Clear
            </button>
          )}
        </form>
      </div>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {result && result.posts.length === 0 && <p>No engagement in this window yet.</p>}
      <ol class="post-list ranked">
        {result?.posts.map((p) => (
          <li key={p.postId}>
            <PostCard post={p} />
          </li>
        ))}
      </ol>
    </section>
  );
}
