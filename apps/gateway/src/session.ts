/** The gateway's state for one connection: who it is, its socket, its token's life, and its link to each room it joined. */
import type { ClientSocket } from './client-socket.js';
import type { RoomLink } from './room-link.js';

export class Session {
  closed = false;
  /** true from the token's `exp` until a refresh (token-lifetime.ts) */
  tokenExpired = false;
  /** links are added and removed by `room-joins.ts` only */
  readonly rooms = new Map<string, RoomLink>();

  constructor(
    readonly connId: string,
    readonly userId: string,
    readonly socket: ClientSocket,
    /** the `exp` (seconds since the epoch) of the token the connection lives on */
    public tokenExp: number,
  ) {}
}
