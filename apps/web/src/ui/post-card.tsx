import type { Post } from '@coffeechat/contracts';

const count = (n: number, one: string) => `${n} ${one}${n === 1 ? '' : 's'}`;

export function Counters({ post }: { post: Pick<Post, 'views' | 'likes' | 'chats'> }) {
  return (
    <p class="counters">
      <span data-counter="views">{count(post.views, 'view')}</span>
      <span data-counter="likes">{count(post.likes, 'like')}</span>
      <span data-counter="chats">{count(post.chats, 'chat')}</span>
    </p>
  );
}

export function Tags({ tags }: { tags: string[] }) {
  if (tags.length === 0) return null;
  return (
    <ul class="tags" aria-label="Tags">
      {tags.map((t) => (
        <li key={t}>
          <a href={`/posts/popular?tag=${encodeURIComponent(t)}`}>#{t}</a>
        </li>
      ))}
    </ul>
  );
}

export function PostCard({ post }: { post: Post }) {
  return (
    <article class="post-card" data-post-id={post.postId} aria-labelledby={`post-${post.postId}`}>
      <h2 id={`post-${post.postId}`}>
        <a href={`/posts/${encodeURIComponent(post.postId)}`}>{post.title}</a>
      </h2>
      <p class="meta">
        by {post.authorId} · <time dateTime={post.createdAt}>{new Date(post.createdAt).toLocaleString()}</time>
      </p>
      <Tags tags={post.tags} />
      <Counters post={post} />
    </article>
  );
}
