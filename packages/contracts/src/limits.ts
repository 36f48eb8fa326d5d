/** Protocol limits of SPEC §4–§5, shared by the gateway, the router and the client. */
export const Limits = {
  maxFrameBytes: 64 * 1024,
  clientMsgIdMax: 64,
  bodyMax: 4000,
  idMax: 128,
  sendsPerSecond: 20,
  typingPerSecond: 5,
  /** joins and leaves together, per connection and second */
  joinsPerSecond: 10,
  readsPerSecond: 20,
  /** rooms a connection may have joined (or be joining) at once */
  roomsPerConnection: 100,
  /** open WebSockets per user and gateway; the next upgrade is refused with 429 */
  connectionsPerUser: 10,
  /** a connection whose token expired is closed this long after `exp` unless refreshed (SPEC §3) */
  tokenGraceSec: 10,
  /** longest token a `refresh` frame may carry */
  tokenMax: 8192,
  badFramesPerMinute: 50,
  replayMax: 1000,
  historyPageMax: 200,
  historyPageDefault: 50,
  roomMaxMembersDefault: 4,
  presenceQueryMax: 100,
  /** HTTP requests per user per service and second (SPEC §2); admin/service callers get their own, higher budget */
  httpRequestsPerSecond: 50,
  httpAdminRequestsPerSecond: 1000,
} as const;
