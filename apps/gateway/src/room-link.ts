/**
 * A socket's link to one room, and the one owner of what a join holds (the way Centrifuge's
 * `PubSubSync` owns the buffer of a subscription being recovered). Phases:
 * - `joining`: the router is being asked; the room's live frames are held here;
 * - `replaying`: `joined` and the replay are written as fast as the client reads; live frames still held;
 * - `live`: the held frames the replay did not cover were written and the socket reads the room's topic.
 * Only `room-joins.ts` drives a link; everyone else reads its phase and position.
 */
import type { ClientSocket, Payload } from './client-socket.js';
import { type JoinPlan, type LiveFrame, liveFramesAfter } from './replay-merge.js';

export type LinkPhase = 'joining' | 'replaying' | 'live';

export class RoomLink {
  private state: LinkPhase = 'joining';
  private held: LiveFrame[] = [];
  private heldBytes = 0;
  /** `joined` and the replay; written up to `next` */
  private answer: Payload[] = [];
  private next = 0;
  private resumeAfter = 0;
  private livePosition = 0;

  get phase(): LinkPhase {
    return this.state;
  }

  /** `joined` was answered: typing and read markers may flow (SPEC §4). */
  get hasJoined(): boolean {
    return this.state !== 'joining';
  }

  /** Once answered: the seq up to which `joined` and the replay cover the room's messages. */
  get answeredUpTo(): number | undefined {
    return this.state === 'joining' ? undefined : this.resumeAfter;
  }

  /** While live: the seq up to which the socket had the room's messages when it went live. */
  get position(): number {
    return this.livePosition;
  }

  /** Holds a live frame that came before the socket went live; returns the bytes held so far. */
  hold(frame: LiveFrame): number {
    this.held.push(frame);
    this.heldBytes += frame.bytes.length;
    return this.heldBytes;
  }

  /** The router answered: `joined` and the replay go next, then the held frames they do not cover. */
  answered(plan: JoinPlan): void {
    this.state = 'replaying';
    this.answer = plan.frames;
    this.resumeAfter = plan.resumeAfter;
  }

  /**
   * Writes what the join still owes while the client keeps up (the caller corks the socket); true once
   * it all went out and the link is live: the caller then subscribes the socket to the room in the same
   * tick, so nothing falls between the held frames and the topic.
   */
  pump(socket: ClientSocket, lowWaterBytes: number, selfUserId: string): boolean {
    while (this.next < this.answer.length) {
      const frame = this.answer[this.next];
      this.answer[this.next] = '';
      this.next += 1;
      if (frame !== undefined && !socket.send(frame)) return false;
      // The client is behind: continue on the socket's drain event.
      if (this.next < this.answer.length && socket.bufferedAmount() > lowWaterBytes) return false;
    }
    const live = liveFramesAfter(this.held, this.resumeAfter, selfUserId);
    for (const bytes of live.frames) if (!socket.send(bytes)) return false;
    this.livePosition = live.position;
    this.held = [];
    this.heldBytes = 0;
    this.answer = [];
    this.state = 'live';
    return true;
  }
}
