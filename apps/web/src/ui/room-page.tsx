import type { StoredMessage } from '@coffeechat/contracts';
import { useEffect, useLayoutEffect, useMemo, useRef, useState } from 'preact/hooks';
import { useRoute } from 'preact-iso';
import { describeError } from '../chat/chat-store.js';
import type { OutgoingMessage, RoomState } from '../chat/room-state.js';
import { seenBy } from '../chat/timeline.js';
import { useServices } from './context.js';
import { roomTitle } from './rooms-page.js';

const time = (ts: number) => new Date(ts).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
/** how close to the top (px) scrolling loads the previous page */
const LOAD_MARGIN = 120;

/** One room: history paged on scroll-up, live messages, typing, members with presence, read markers. */
export function RoomPage() {
  const { chat } = useServices();
  const roomId = useRoute().params.roomId ?? '';
  const room = chat.room(roomId);
  const [joinError, setJoinError] = useState<string | null>(null);
  useEffect(() => {
    setJoinError(null);
    chat.open(roomId).catch((err: unknown) => setJoinError(describeError(err)));
    return () => chat.close(roomId);
  }, [chat, roomId]);
  if (joinError) {
    return (
      <section class="room">
        <h1>Room unavailable</h1>
        <p role="alert" class="error">
          {joinError}
        </p>
        <a href="/">Back to your chats</a>
      </section>
    );
  }
  return <Room room={room} />;
}

function Room({ room }: { room: RoomState }) {
  const { chat, session } = useServices();
  const summary = chat.summary(room.roomId);
  const members = room.members.value.length > 0 ? room.members.value : (summary?.memberIds ?? []);
  const title = roomTitle({ title: summary?.title ?? null, memberIds: members }, session.userId);
  return (
    <section class="room" aria-labelledby="room-heading">
      <header class="room-header">
        <h1 id="room-heading">{title}</h1>
        <ul class="members" aria-label="Members">
          {members.map((m) => {
            const status = room.presence.value[m] ?? 'offline';
            return (
              <li key={m} data-user={m} data-presence={status}>
                <span class={`dot ${status}`} aria-hidden="true" />
                {m === session.userId ? `${m} (you)` : m}
                <span class="visually-hidden">, {status}</span>
              </li>
            );
          })}
        </ul>
      </header>
      <Timeline room={room} />
      <TypingLine typers={room.typers.value} />
      <Composer room={room} />
    </section>
  );
}

function Timeline({ room }: { room: RoomState }) {
  const { chat, session } = useServices();
  const list = useRef<HTMLDivElement>(null);
  const stickToBottom = useRef(true);
  const anchor = useRef<{ height: number; top: number } | null>(null);
  const messages = room.messages.value;
  const outgoing = room.outgoing.value;
  const seen = useMemo(() => seenBy(messages, room.reads.value), [messages, room.reads.value]);

  useLayoutEffect(() => {
    const el = list.current;
    if (!el) return;
    if (anchor.current) {
      // older messages were put above: keep what the reader looks at in place
      el.scrollTop = anchor.current.top + (el.scrollHeight - anchor.current.height);
      anchor.current = null;
    } else if (stickToBottom.current) el.scrollTop = el.scrollHeight;
  }, [messages, outgoing]);

  const loadOlder = () => {
    const el = list.current;
    if (!el || room.loadingOlder.value || !room.hasOlder.value) return;
    anchor.current = { height: el.scrollHeight, top: el.scrollTop };
    void room.loadOlder().then(() => {
      if (!room.messages.value.length) anchor.current = null;
    });
  };
  const onScroll = () => {
    const el = list.current;
    if (!el) return;
    stickToBottom.current = el.scrollHeight - el.scrollTop - el.clientHeight < 60;
    if (el.scrollTop < LOAD_MARGIN) loadOlder();
    if (stickToBottom.current) chat.markRead(room.roomId);
  };

  return (
    <div class="timeline" ref={list} onScroll={onScroll} role="log" aria-label="Messages">
      {room.hasOlder.value ? (
        <button type="button" class="load-older" onClick={loadOlder} disabled={room.loadingOlder.value}>
          {room.loadingOlder.value ? 'Loading earlier messages…' : 'Load earlier messages'}
        </button>
      ) : (
        <p class="start">This is the start of the conversation.</p>
      )}
      {room.historyError.value && (
        <p role="alert" class="error">
          {room.historyError.value}
        </p>
      )}
      <ol class="messages">
        {messages.map((m) => (
          <MessageItem key={m.seq} message={m} mine={m.senderId === session.userId} seenBy={seen.get(m.seq)} />
        ))}
        {outgoing.map((o) => (
          <OutgoingItem key={o.clientMsgId} message={o} onRetry={() => chat.send(room.roomId, o.body, o.clientMsgId)} />
        ))}
      </ol>
    </div>
  );
}

function MessageItem({ message, mine, seenBy }: { message: StoredMessage; mine: boolean; seenBy?: string[] }) {
  return (
    <li class={mine ? 'message mine' : 'message'} data-seq={message.seq} data-sender={message.senderId}>
      <span class="sender">{message.senderId}</span>
      <p class="body">{message.body}</p>
      <span class="meta">
        <time dateTime={new Date(message.ts).toISOString()}>{time(message.ts)}</time>
        {mine && (
          <span class="status" data-status="sent">
            {' '}
            · Sent
          </span>
        )}
      </span>
      {seenBy && <span class="seen-by">Seen by {seenBy.join(', ')}</span>}
    </li>
  );
}

const OUTGOING_LABEL = { pending: 'Sending…', acked: 'Sent', failed: 'Not sent' } as const;

function OutgoingItem({ message, onRetry }: { message: OutgoingMessage; onRetry: () => void }) {
  return (
    <li class="message mine outgoing" data-client-msg-id={message.clientMsgId} data-status={message.status}>
      <p class="body">{message.body}</p>
      <span class="meta status">{OUTGOING_LABEL[message.status]}</span>
      {message.status === 'failed' && (
        <span class="error">
          {message.error}{' '}
          <button type="button" onClick={onRetry}>
            Retry
          </button>
        </span>
      )}
    </li>
  );
}

function TypingLine({ typers }: { typers: string[] }) {
  const text = typers.length === 0 ? '' : `${typers.join(', ')} ${typers.length === 1 ? 'is' : 'are'} typing…`;
  return (
    <p class="typing" aria-live="polite">
      {text}
    </p>
  );
}

function Composer({ room }: { room: RoomState }) {
  const { chat } = useServices();
  const [text, setText] = useState('');
  const submit = (e?: Event) => {
    e?.preventDefault();
    const body = text.trim();
    if (!body) return;
    chat.send(room.roomId, body);
    setText('');
  };
  return (
    <form class="composer" onSubmit={submit}>
      <label for="composer-input" class="visually-hidden">
        Message
      </label>
      <textarea
        id="composer-input"
        rows={2}
        maxLength={4000}
        placeholder="Write a message (Enter sends, Shift+Enter for a new line)"
        value={text}
        onInput={(e) => {
          setText(e.currentTarget.value);
          chat.typingIn(room.roomId);
        }}
        onKeyDown={(e) => {
          if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) submit(e);
        }}
      />
      <button type="submit" disabled={text.trim() === ''}>
        Send
      </button>
    </form>
  );
}
