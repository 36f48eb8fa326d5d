/**
 * Where what arrives on the gateway's queue goes: a room frame to the room's sockets (hub: live ones,
 * and the links of those still joining) and, when it answers a local send, its ack (sends); the
 * router's frame for one connection to it; membership changes to the join refusals, the rooms and
 * presence; after a broker reconnect, the rooms catch up (members removed meanwhile leave them) and no
 * send is awaited any more.
 */
import type { MembershipEvent } from '@coffeechat/contracts';
import type { JoinRefusals } from './join-refusals.js';
import type { RoomFeedEvents } from './room-feed.js';
import type { RoomHub } from './room-hub.js';
import type { RoomJoins } from './room-joins.js';
import type { SendsInFlight } from './sends-in-flight.js';

export interface RoomEventsTargets {
  hub: RoomHub;
  joins: RoomJoins;
  sends: SendsInFlight;
  refusals: JoinRefusals;
  presence: { membership(event: MembershipEvent): void };
}

export function roomEvents({ hub, joins, sends, refusals, presence }: RoomEventsTargets): RoomFeedEvents {
  return {
    roomFrame: (frame) => {
      hub.deliver(frame);
      sends.answered(frame);
    },
    connFrame: (frame) => sends.connFrame(frame),
    membership: (event) => {
      refusals.invalidate(event.roomId, event.userId);
      if (event.kind === 'removed') joins.removed(event.roomId, event.userId);
      presence.membership(event);
    },
    restored: () => {
      sends.brokerRestored();
      void hub.resync((roomId, userId) => {
        refusals.rememberRefusal(roomId, userId);
        joins.removed(roomId, userId);
      });
    },
  };
}
