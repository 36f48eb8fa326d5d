/** The gateway's state for one connection: who it is and where it stands in each room it joined. */
import type { ClientSocket } from './client-socket.js';
import type { LiveFrame, Payload } from './replay-merge.js';

/**
 * A socket's link to one room. `joining`: the router is being asked and live frames are buffered;
 * `replaying`: `joined` and the replay are being written as fast as the client reads (`pending`), live
 * frames still buffered; `live`: subscribed to the room's topic.
 */
export class RoomLink {
  phase: 'joining' | 'replaying' | 'live' = 'joining';
  buffer: LiveFrame[] = [];
  bufferedBytes = 0;
  pending: Payload[] = [];
  next = 0;
  resumeAfter = 0;
  /** while live: the seq up to which the socket got the room's messages when it went live */
  position = 0;

  constructor(readonly frameId: string | undefined) {}

  hold(frame: LiveFrame): void {
    this.buffer.push(frame);
    this.bufferedBytes += frame.bytes.length;
  }
}

/** A send published and not yet acked: its room's binding is retained until the ack (or a deadline). */
export interface SendInFlight {
  roomId: string;
  /** performance.now() when the send arrived (for the send→ack metric) */
  startedAt: number;
}

export class Session {
  closed = false;
  readonly rooms = new Map<string, RoomLink>();
  /** sends awaiting their ack, by `roomId \0 clientMsgId` */
  readonly sendsInFlight = new Map<string, SendInFlight>();

  constructor(
    readonly connId: string,
    readonly userId: string,
    readonly socket: ClientSocket,
  ) {}
}
