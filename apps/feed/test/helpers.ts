/**
 * Starts the feed in-process against the real RabbitMQ, Redis and MongoDB-wire server, each run in its
 * own namespace and database, and removes everything it made afterwards.
 */
import { type MessageStoredEvent, type Post, type RoomCreatedEvent, topology } from '@coffeechat/contracts';
import { createLogger } from '@coffeechat/service-kit';
import {
  mongoUrlFor,
  removeFeedNamespace,
  servers,
  TEST_AUTH_ENV,
  tokenFor,
  uniqueNamespace,
} from '@coffeechat/testkit';
import amqp from 'amqplib';
import type { Clock } from '../src/clock.js';
import { loadConfig } from '../src/config.js';
import { type Feed, startFeed } from '../src/service.js';

export interface TestFeed {
  feed: Feed;
  ns: string;
  url: string;
  close(): Promise<void>;
}

export interface TestFeedOptions {
  ns?: string;
  cache?: boolean;
  clock?: Clock;
  /** a Redis of the test's own (default: the test servers') */
  redisUrl?: string;
  /**
   * `HTTP_REQUESTS_PER_SEC`: the suites drive one user far past SPEC's 50/s to test caching, so by default
   * the limit is out of their way; test/abuse.test.ts runs with SPEC's default.
   */
  httpRequestsPerSec?: number;
}

export async function startTestFeed(options: TestFeedOptions = {}): Promise<TestFeed> {
  const ns = options.ns ?? uniqueNamespace('feed');
  const config = loadConfig({
    ...TEST_AUTH_ENV,
    CC_NAMESPACE: ns,
    FEED_PORT: '0',
    AMQP_URL: servers.amqpUrl,
    REDIS_URL: options.redisUrl ?? servers.redisUrl,
    MONGO_URL: mongoUrlFor(ns),
    FEED_CACHE: options.cache === false ? 'off' : 'on',
    HTTP_REQUESTS_PER_SEC: String(options.httpRequestsPerSec ?? 100_000),
  });
  const feed = await startFeed(config, createLogger('feed', 'silent'), options.clock);
  return { feed, ns, url: `http://127.0.0.1:${feed.port}`, close: () => feed.stop() };
}

export interface Reply {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: replies are JSON the assertions check field by field
  body: any;
  text: string;
}

/** A JSON HTTP client for one user. */
export function clientFor(url: string, token: string | null) {
  const call = async (method: string, path: string, body?: unknown, rawBody?: string): Promise<Reply> => {
    const headers: Record<string, string> = {};
    if (token) headers.authorization = `Bearer ${token}`;
    if (body !== undefined || rawBody !== undefined) headers['content-type'] = 'application/json';
    const res = await fetch(`${url}${path}`, {
      method,
      headers,
      body: rawBody ?? (body === undefined ? undefined : JSON.stringify(body)),
    });
    const text = await res.text();
    return { status: res.status, text, body: text ? JSON.parse(text) : undefined };
  };
  return {
    call,
    get: (path: string) => call('GET', path),
    post: (path: string, body?: unknown) => call('POST', path, body),
    patch: (path: string, body?: unknown) => call('PATCH', path, body),
    put: (path: string) => call('PUT', path),
    del: (path: string) => call('DELETE', path),
  };
}
export type Client = ReturnType<typeof clientFor>;

export async function userClient(url: string, userId: string, admin = false): Promise<Client> {
  return clientFor(url, await tokenFor(userId, { admin }));
}

export async function createPost(
  client: Client,
  post: { title?: string; body?: string; tags?: string[] } = {},
): Promise<Post> {
  const res = await client.post('/posts', { title: 'a coffee chat', body: 'about things', ...post });
  if (res.status !== 201) throw new Error(`create failed: ${res.status} ${res.text}`);
  return res.body as Post;
}

/** Chat events published to `<ns>.events` the way the message-router publishes them (confirmed). */
async function eventPublisher(ns: string) {
  const conn = await amqp.connect(servers.amqpUrl);
  const ch = await conn.createConfirmChannel();
  return {
    ch,
    async publish(key: string, body: unknown): Promise<void> {
      const content = Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
      ch.publish(topology(ns).eventsExchange, key, content, { contentType: 'application/json', persistent: true });
      await ch.waitForConfirms();
    },
    close: () => conn.close(),
  };
}

export type EventPublisher = Awaited<ReturnType<typeof eventPublisher>>;

/** Feed replicas on one namespace and database, with the chat events of that namespace to publish. */
export interface ChatFeeds {
  replicas: [TestFeed, ...TestFeed[]];
  events: EventPublisher;
  /** stops the publisher and the replicas, then removes the namespace */
  close(): Promise<void>;
}

/** One replica per entry of `options` (all on the first one's namespace) and an event publisher. */
export async function startChatFeeds(...options: Array<Omit<TestFeedOptions, 'ns'>>): Promise<ChatFeeds> {
  const ns = uniqueNamespace('feed');
  const replicas: TestFeed[] = [];
  let events: EventPublisher | undefined;
  const close = async () => {
    await events?.close();
    for (const t of [...replicas].reverse()) await t.close();
    await removeFeedNamespace(ns);
  };
  try {
    for (const o of options.length ? options : [{}]) replicas.push(await startTestFeed({ ...o, ns }));
    events = await eventPublisher(ns);
    return { replicas: replicas as ChatFeeds['replicas'], events, close };
  } catch (err) {
    await close().catch(() => undefined);
    throw err;
  }
}

export const roomCreated = (roomId: string, postId: string | null, at = Date.now()): RoomCreatedEvent => ({
  roomId,
  postId,
  memberIds: ['ann', 'bob'],
  at,
});

export const stored = (roomId: string, postId: string | null, seq: number, ts = Date.now()): MessageStoredEvent => ({
  roomId,
  postId,
  seq,
  senderId: seq % 2 ? 'ann' : 'bob',
  ts,
});
