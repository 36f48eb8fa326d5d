/**
 * Development only: arranges a coffee-chat room. Creating rooms is an admin call (the main CoffeeChat
 * service does it when a chat is arranged), so the page borrows a development admin token.
 */
import { HttpApi } from '@coffeechat/client';
import type { Room } from '@coffeechat/contracts';
import { devToken } from '../session.js';

export function arrangeRoom(
  routerUrl: string,
  room: { memberIds: string[]; title?: string; postId?: string },
): Promise<Room> {
  const admin = new HttpApi({ baseUrl: routerUrl, token: () => devToken('dev-admin', true) });
  return admin.request<Room>('POST', '/rooms', { body: room });
}
