import type { Post } from '@coffeechat/contracts';
import { useEffect, useState } from 'preact/hooks';
import { useLocation, useRoute } from 'preact-iso';
import { arrangeRoom } from '../chat/arrange-room.js';
import { describeError } from '../chat/chat-store.js';
import { useServices } from './context.js';
import { Counters, Tags } from './post-card.js';

/** One post with its counters (reading it counts a view), like/unlike, edit for its author. */
export function PostPage() {
  const { feed, liked, session, config, chat } = useServices();
  const postId = useRoute().params.postId ?? '';
  const { route } = useLocation();
  const [post, setPost] = useState<Post | null>(null);
  const [isLiked, setLiked] = useState(() => liked.has(postId));
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    setPost(null);
    setLiked(liked.has(postId));
    feed.post(postId).then(setPost, (err: unknown) => setError(describeError(err)));
  }, [feed, liked, postId]);

  if (error && !post)
    return (
      <p role="alert" class="error">
        {error}
      </p>
    );
  if (!post) return <p aria-busy="true">Loading…</p>;

  const toggleLike = async () => {
    const next = !isLiked;
    try {
      await feed.like(post.postId, next);
      liked.set(post.postId, next);
      setLiked(next);
      setPost(await feed.post(post.postId));
      setError(null);
    } catch (err) {
      setError(describeError(err));
    }
  };
  const arrange = async () => {
    try {
      const room = await arrangeRoom(config.routerUrl, {
        memberIds: [...new Set([post.authorId, session.userId])],
        postId: post.postId,
        title: post.title.slice(0, 200),
      });
      await chat.loadRooms();
      route(`/rooms/${encodeURIComponent(room.roomId)}`);
    } catch (err) {
      setError(describeError(err));
    }
  };

  return (
    <article class="post" data-post-id={post.postId} aria-labelledby="post-heading">
      <h1 id="post-heading">{post.title}</h1>
      <p class="meta">
        by {post.authorId} · <time dateTime={post.createdAt}>{new Date(post.createdAt).toLocaleString()}</time>
        {post.updatedAt !== post.createdAt && ' · edited'}
      </p>
      <Tags tags={post.tags} />
      <p class="post-body">{post.body}</p>
      <Counters post={post} />
      <div class="actions">
        <button type="button" aria-pressed={isLiked} onClick={() => void toggleLike()}>
          {isLiked ? 'Unlike' : 'Like'}
        </button>
        {post.authorId === session.userId && (
          <a class="button" href={`/posts/${encodeURIComponent(post.postId)}/edit`}>
            Edit
          </a>
        )}
        {config.devSignIn && post.authorId !== session.userId && (
          <button type="button" onClick={() => void arrange()}>
            Arrange a coffee chat
          </button>
        )}
      </div>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
    </article>
  );
}
