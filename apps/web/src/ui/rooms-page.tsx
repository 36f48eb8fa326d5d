import { useEffect, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { arrangeRoom } from '../chat/arrange-room.js';
import { describeError, type RoomSummary } from '../chat/chat-store.js';
import { useServices } from './context.js';

export function roomTitle(room: Pick<RoomSummary, 'title' | 'memberIds'>, me: string): string {
  return room.title ?? (room.memberIds.filter((m) => m !== me).join(', ') || 'Just you');
}

/** My rooms with their unread counts, live. */
export function RoomsPage() {
  const { chat, session, config } = useServices();
  useEffect(() => void chat.loadRooms(), [chat]);
  const rooms = chat.rooms.value;
  return (
    <section class="rooms" aria-labelledby="rooms-heading">
      <h1 id="rooms-heading">Your coffee chats</h1>
      {chat.roomsError.value && (
        <p role="alert" class="error">
          {chat.roomsError.value}
        </p>
      )}
      {chat.roomsLoaded.value && rooms.length === 0 && <p>No rooms yet.</p>}
      <ul class="room-list">
        {rooms.map((r) => {
          const unread = Math.max(0, r.lastSeq - r.readSeq);
          return (
            <li key={r.roomId} data-room-id={r.roomId}>
              <a href={`/rooms/${encodeURIComponent(r.roomId)}`}>
                <span class="room-title">{roomTitle(r, session.userId)}</span>
                {unread > 0 && (
                  <span class="unread" data-unread={unread}>
                    {unread}
                    <span class="visually-hidden"> unread</span>
                  </span>
                )}
              </a>
            </li>
          );
        })}
      </ul>
      {config.devSignIn && <NewRoomForm />}
    </section>
  );
}

function NewRoomForm() {
  const { config, session, chat } = useServices();
  const { route } = useLocation();
  const [others, setOthers] = useState('');
  const [error, setError] = useState<string | null>(null);
  const submit = async (e: Event) => {
    e.preventDefault();
    const memberIds = [session.userId, ...others.split(/[\s,]+/).filter((u) => u && u !== session.userId)];
    try {
      const room = await arrangeRoom(config.routerUrl, { memberIds: [...new Set(memberIds)] });
      await chat.loadRooms();
      route(`/rooms/${encodeURIComponent(room.roomId)}`);
    } catch (err) {
      setError(describeError(err));
    }
  };
  return (
    <form class="new-room" onSubmit={submit}>
      <label for="new-room-members">Start a chat with (user names, comma-separated)</label>
      <div class="row">
        <input id="new-room-members" required value={others} onInput={(e) => setOthers(e.currentTarget.value)} />
        <button type="submit">Start</button>
      </div>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
    </form>
  );
}
