export { type BackoffSettings, backoffDelay, defaultBackoff } from './backoff.js';
export { ChatApi, type HistoryQuery } from './chat-api.js';
export { ChatError, type ChatErrorCode } from './chat-error.js';
export {
  type ClientEvents,
  type ClientOptions,
  CoffeeChatClient,
  type ConnectionState,
  type SendOptions,
} from './client.js';
export { HistoryPager } from './history-pager.js';
export { ApiError, type FetchLike, HttpApi, type HttpApiOptions, type Query } from './http-api.js';
export { RoomTracker, type SeqDecision } from './room-tracker.js';
export {
  type CachedTokenOptions,
  cachedToken,
  resolveToken,
  type TokenSource,
  tokenClaims,
  tokenExpiry,
} from './token.js';
export { type TypingEvents, TypingTracker } from './typing-tracker.js';
export type { CloseEventLike, MessageEventLike, WebSocketConstructor, WebSocketLike } from './websocket.js';
