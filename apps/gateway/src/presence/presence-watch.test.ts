import { describe, expect, it } from 'vitest';
import type { ClientSocket } from '../client-socket.js';
import { RoomLink } from '../room-link.js';
import { Session } from '../session.js';
import { PresenceWatch } from './presence-watch.js';

const socket = { send: () => true, bufferedAmount: () => 0 } as unknown as ClientSocket;
const session = (userId: string, connId = `${userId}-1`) => new Session(connId, userId, socket, 4_000_000_000);
/** a link driven to `live` the way a join does: answered, then written out */
const live = (s: Session, roomId: string) => {
  const link = new RoomLink();
  link.answered({ frames: [], resumeAfter: 0 });
  link.pump(socket, 0, s.userId);
  s.rooms.set(roomId, link);
};

describe('PresenceWatch', () => {
  it('binds a co-member on the first watch and unbinds after the last, never the watcher itself', () => {
    const w = new PresenceWatch();
    const alice = session('alice');
    const alice2 = session('alice', 'alice-2');
    expect(w.watch(alice, 'r1', ['alice', 'bob', 'carol'])).toEqual({ added: ['bob', 'carol'], removed: [] });
    expect(w.watch(alice2, 'r1', ['alice', 'bob', 'carol'])).toEqual({ added: [], removed: [] });
    expect(w.watch(alice, 'r2', ['alice', 'bob'])).toEqual({ added: [], removed: [] });
    expect(w.unwatch(alice, 'r1')).toEqual({ added: [], removed: [] });
    expect(w.unwatchAll(alice2)).toEqual({ added: [], removed: ['carol'] });
    expect(w.unwatch(alice, 'r2')).toEqual({ added: [], removed: ['bob'] });
    expect(w.watchedUsers()).toEqual([]);
  });

  it('treats a re-join as a replacement of the room members', () => {
    const w = new PresenceWatch();
    const alice = session('alice');
    w.watch(alice, 'r1', ['alice', 'bob']);
    expect(w.watch(alice, 'r1', ['alice', 'carol'])).toEqual({ added: ['carol'], removed: ['bob'] });
    expect(w.watch(alice, 'r1', ['alice', 'carol'])).toEqual({ added: [], removed: [] });
  });

  it('follows membership changes of the rooms watched', () => {
    const w = new PresenceWatch();
    const alice = session('alice');
    const bob = session('bob');
    w.watch(alice, 'r1', ['alice', 'bob']);
    w.watch(bob, 'r1', ['alice', 'bob']);
    expect(w.memberAdded('r1', 'dave')).toEqual({ added: ['dave'], removed: [] });
    expect(w.memberAdded('r2', 'erin')).toEqual({ added: [], removed: [] });
    expect(w.memberRemoved('r1', 'dave')).toEqual({ added: [], removed: ['dave'] });
    expect(w.memberRemoved('r1', 'bob')).toEqual({ added: [], removed: ['bob'] });
    expect(w.isWatched('alice')).toBe(true);
  });

  it('reaches only sessions already answered `joined` in a room they share with the user', () => {
    const w = new PresenceWatch();
    const alice = session('alice');
    const carol = session('carol');
    w.watch(alice, 'r1', ['alice', 'bob']);
    w.watch(carol, 'r2', ['carol', 'bob']);
    live(alice, 'r1');
    carol.rooms.set('r2', new RoomLink()); // still joining
    expect([...w.audienceOf('bob')]).toEqual([alice]);
    expect([...w.audienceOf('alice')]).toEqual([]);
  });
});
