import type { Post } from '@coffeechat/contracts';
import { useEffect, useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { describeError } from '../chat/chat-store.js';
import { useServices } from './context.js';

const parseTags = (text: string) => [
  ...new Set(
    text
      .split(/[\s,]+/)
      .map((t) => t.replace(/^#/, '').toLowerCase())
      .filter(Boolean),
  ),
];

/** Writes a new post (`/posts/new`) or edits one (`/posts/:postId/edit`). */
export function PostEditor() {
  const { feed } = useServices();
  const postId = useRoute().params.postId;
  const { route } = useLocation();
  const [title, setTitle] = useState('');
  const [body, setBody] = useState('');
  const [tags, setTags] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    if (!postId) return;
    feed.post(postId).then(
      (p: Post) => {
        setTitle(p.title);
        setBody(p.body);
        setTags(p.tags.join(', '));
      },
      (err: unknown) => setError(describeError(err)),
    );
  }, [feed, postId]);

  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      const content = { title: title.trim(), body: body.trim(), tags: parseTags(tags) };
      const saved = postId ? await feed.update(postId, content) : await feed.create(content);
      route(`/posts/${encodeURIComponent(saved.postId)}`);
    } catch (err) {
      setError(describeError(err));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="editor" aria-labelledby="editor-heading">
      <h1 id="editor-heading">{postId ? 'Edit post' : 'Write a post'}</h1>
      <form onSubmit={submit}>
        <label for="post-title">Title</label>
        <input
          id="post-title"
          required
          maxLength={120}
          value={title}
          onInput={(e) => setTitle(e.currentTarget.value)}
        />
        <label for="post-body">What would you like to chat about?</label>
        <textarea
          id="post-body"
          required
          maxLength={5000}
          rows={8}
          value={body}
          onInput={(e) => setBody(e.currentTarget.value)}
        />
        <label for="post-tags">Tags (up to 5, comma-separated)</label>
        <input id="post-tags" value={tags} onInput={(e) => setTags(e.currentTarget.value)} />
        <button type="submit" disabled={busy}>
          {postId ? 'Save' : 'Publish'}
        </button>
      </form>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
    </section>
  );
}
