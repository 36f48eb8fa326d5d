import { afterEach, describe, expect, it, vi } from 'vitest';
import { CoffeeChatClient } from './client.js';
import { TypingTracker } from './typing-tracker.js';
import type { WebSocketLike } from './websocket.js';

/** A client whose socket is never opened; the test feeds frames through its message handler. */
function fedClient() {
  let socket: WebSocketLike | undefined;
  class NoSocket {
    readyState = 0;
    onopen = null;
    onmessage: WebSocketLike['onmessage'] = null;
    onclose = null;
    onerror = null;
    constructor() {
      socket = this as unknown as WebSocketLike;
    }
    send() {}
    close() {}
  }
  const client = new CoffeeChatClient({ url: 'ws://x/ws', token: 't', WebSocket: NoSocket });
  const feed = async (frame: object) => {
    if (!socket) {
      void client.connect().catch(() => undefined);
      await vi.waitFor(() => expect(socket).toBeDefined());
    }
    socket?.onmessage?.({ data: JSON.stringify(frame) });
  };
  return { client, feed };
}

afterEach(() => {
  vi.useRealTimers();
});

describe('TypingTracker', () => {
  it('lists typers until they expire or send a message', async () => {
    const { client, feed } = fedClient();
    const tracker = new TypingTracker(client, 1000);
    const changes: string[][] = [];
    tracker.on('change', (c) => changes.push(c.userIds));
    await feed({ type: 'typing', roomId: 'r', userId: 'bob' });
    vi.useFakeTimers();
    await feed({ type: 'typing', roomId: 'r', userId: 'carol' });
    await feed({ type: 'typing', roomId: 'r', userId: 'bob' }); // renews bob, no change event
    expect(tracker.typers('r')).toEqual(['bob', 'carol']);
    vi.advanceTimersByTime(999);
    expect(tracker.typers('r')).toEqual(['bob', 'carol']);
    vi.advanceTimersByTime(1);
    expect(tracker.typers('r')).toEqual([]);
    expect(changes).toEqual([['bob'], ['bob', 'carol'], ['bob'], []]);
    tracker.dispose();
    client.close();
  });

  it('removal from a room clears its typers', async () => {
    const { client, feed } = fedClient();
    const tracker = new TypingTracker(client);
    await feed({ type: 'hello', userId: 'me', connId: 'c', heartbeatSec: 30 });
    await feed({ type: 'typing', roomId: 'r', userId: 'bob' });
    await feed({ type: 'removed', roomId: 'other' });
    expect(tracker.typers('r')).toEqual(['bob']);
    await feed({ type: 'removed', roomId: 'r' });
    expect(tracker.typers('r')).toEqual([]);
    tracker.dispose();
    client.close();
  });
});
