/** Creates the run's rooms with the router's HTTP API (`POST /rooms`, admin token), a few at a time, within its rate limit. */
import type { PlannedRoom } from '../generator/plan.js';

export async function createRooms(
  routerUrl: string,
  adminToken: string,
  rooms: readonly PlannedRoom[],
  concurrency = 8,
): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < rooms.length) {
      const room = rooms[next++] as PlannedRoom;
      const create = () =>
        fetch(`${routerUrl}/rooms`, {
          method: 'POST',
          headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
          body: JSON.stringify({ roomId: room.roomId, memberIds: room.members.map((m) => m.userId) }),
        });
      let res = await create();
      // over the router's requests per second for the admin token (SPEC §2): wait as told, then again
      for (let tries = 0; res.status === 429 && tries < 10; tries++) {
        await new Promise((r) => setTimeout(r, 1000 * Number(res.headers.get('retry-after') ?? 1)));
        res = await create();
      }
      // 409: the room exists already (a re-used external stack), which is what we want
      if (res.status !== 201 && res.status !== 409) {
        throw new Error(`POST /rooms ${room.roomId}: HTTP ${res.status} ${await res.text()}`);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, rooms.length) }, worker));
}
