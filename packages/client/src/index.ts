export { type BackoffSettings, backoffDelay, defaultBackoff } from './backoff.js';
export { ChatError, type ChatErrorCode } from './chat-error.js';
export {
  type ClientEvents,
  type ClientOptions,
  CoffeeChatClient,
  type ConnectionState,
  type SendOptions,
} from './client.js';
export { RoomTracker, type SeqDecision } from './room-tracker.js';
export type { CloseEventLike, MessageEventLike, WebSocketConstructor, WebSocketLike } from './websocket.js';
