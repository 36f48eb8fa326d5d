/** What every view needs, handed down once by the app shell. */
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { ChatStore } from '../chat/chat-store.js';
import type { AppConfig } from '../config.js';
import type { FeedApi } from '../posts/feed-api.js';
import type { LikedPosts } from '../posts/liked-posts.js';
import type { Session } from '../session.js';

export interface AppServices {
  config: AppConfig;
  session: Session;
  chat: ChatStore;
  feed: FeedApi;
  liked: LikedPosts;
}

export const Services = createContext<AppServices | null>(null);

export function useServices(): AppServices {
  const services = useContext(Services);
  if (!services) throw new Error('useServices outside the signed-in app');
  return services;
}
