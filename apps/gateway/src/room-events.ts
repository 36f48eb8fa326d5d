/**
 * Where what arrives on the gateway's queue goes: a room frame to the room's sockets (hub: live ones,
 * and the links of those still joining) and, when it answers a local send, its ack (sends); the
 * router's frame for one connection to it; membership changes to the join refusals, the rooms and
 * presence; while the broker is away, sends are held; once it is back with the bindings restored, the
 * rooms catch up (members removed meanwhile leave them) and the sends held or awaiting an ack are
 * published (again).
 */
import type { MembershipEvent } from '@coffeechat/contracts';
import type { Logger } from '@coffeechat/service-kit';
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
  logger: Logger;
}

export function roomEvents({ hub, joins, sends, refusals, presence, logger }: RoomEventsTargets): RoomFeedEvents {
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
    lost: () => sends.brokerLost(),
    restored: () => {
      const started = performance.now();
      const sent = sends.brokerRestored();
      logger.info({ held: sent.held, publishedAgain: sent.again }, 'sends published after the broker came back');
      void hub
        .resync((roomId, userId) => {
          refusals.rememberRefusal(roomId, userId);
          joins.removed(roomId, userId);
        })
        .then((rooms) =>
          logger.info(
            { rooms, ms: Math.round(performance.now() - started) },
            'rooms caught up after the broker came back',
          ),
        );
    },
  };
}
