import type { ChatStore } from '../chat/chat-store.js';

const LABELS = {
  open: 'Connected',
  connecting: 'Connecting…',
  reconnecting: 'Reconnecting…',
  offline: 'Offline: messages wait until you are back',
  closed: 'Disconnected',
} as const;

/** The connection as the user should understand it; announced politely to screen readers. */
export function ConnectionBadge({ chat }: { chat: ChatStore }) {
  const state = chat.state.value;
  const key = !chat.online.value ? 'offline' : state === 'idle' ? 'connecting' : state;
  return (
    <p class={`connection connection-${key}`} role="status" aria-live="polite" data-state={key}>
      <span class="dot" aria-hidden="true" />
      {LABELS[key]}
    </p>
  );
}
