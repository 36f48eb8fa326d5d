/** The message-router's HTTP API for members (SPEC §5): my rooms and a room's stored history. */
import type { HistoryResponse, MyRoomsResponse, Room } from '@coffeechat/contracts';
import { HttpApi, type HttpApiOptions } from './http-api.js';

export interface HistoryQuery {
  beforeSeq?: number;
  afterSeq?: number;
  /** 1–200; the server's default is 50 */
  limit?: number;
}

export class ChatApi {
  readonly http: HttpApi;

  constructor(options: HttpApiOptions) {
    this.http = new HttpApi(options);
  }

  myRooms(options: { cursor?: string; limit?: number } = {}): Promise<MyRoomsResponse> {
    return this.http.get('/me/rooms', { cursor: options.cursor, limit: options.limit });
  }

  room(roomId: string): Promise<Room> {
    return this.http.get(`/rooms/${encodeURIComponent(roomId)}`);
  }

  /** Ascending by seq; with neither bound, the newest page. */
  history(roomId: string, query: HistoryQuery = {}): Promise<HistoryResponse> {
    return this.http.get(`/rooms/${encodeURIComponent(roomId)}/messages`, {
      beforeSeq: query.beforeSeq,
      afterSeq: query.afterSeq,
      limit: query.limit,
    });
  }
}
