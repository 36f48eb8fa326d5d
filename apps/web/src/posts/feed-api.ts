/** The feed service's HTTP API (SPEC §5, feed): posts, the feed, popular posts, likes. */
import { HttpApi } from '@coffeechat/client';
import type {
  CreatePostBody,
  FeedResponse,
  PopularResponse,
  PopularWindow,
  Post,
  UpdatePostBody,
} from '@coffeechat/contracts';

export class FeedApi {
  private readonly http: HttpApi;

  constructor(baseUrl: string, token: () => Promise<string>) {
    this.http = new HttpApi({ baseUrl, token });
  }

  feed(cursor?: string): Promise<FeedResponse> {
    return this.http.get('/feed', { cursor, limit: 20 });
  }

  popular(window: PopularWindow, tag?: string): Promise<PopularResponse> {
    return this.http.get('/posts/popular', { window, tag, limit: 20 });
  }

  /** Reading a post counts a view (once per user and hour). */
  post(postId: string): Promise<Post> {
    return this.http.get(`/posts/${encodeURIComponent(postId)}`);
  }

  create(body: CreatePostBody): Promise<Post> {
    return this.http.request('POST', '/posts', { body });
  }

  update(postId: string, body: UpdatePostBody): Promise<Post> {
    return this.http.request('PATCH', `/posts/${encodeURIComponent(postId)}`, { body });
  }

  like(postId: string, liked: boolean): Promise<void> {
    return this.http.request(liked ? 'PUT' : 'DELETE', `/posts/${encodeURIComponent(postId)}/like`);
  }
}
