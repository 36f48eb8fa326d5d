/** Error codes of the WebSocket protocol (SPEC §4). The same code reaches the user. */
export const WsErrorCode = {
  BAD_REQUEST: 'BAD_REQUEST',
  NOT_A_MEMBER: 'NOT_A_MEMBER',
  NOT_JOINED: 'NOT_JOINED',
  RATE_LIMITED: 'RATE_LIMITED',
  UNAVAILABLE: 'UNAVAILABLE',
  UNAUTHORIZED: 'UNAUTHORIZED',
  TOKEN_EXPIRED: 'TOKEN_EXPIRED',
  INTERNAL: 'INTERNAL',
} as const;
export type WsErrorCode = (typeof WsErrorCode)[keyof typeof WsErrorCode];

/** Error codes of the HTTP APIs (SPEC §5), each with its status. */
export const HttpError = {
  BAD_REQUEST: 400,
  UNAUTHORIZED: 401,
  FORBIDDEN: 403,
  NOT_FOUND: 404,
  CONFLICT: 409,
  RATE_LIMITED: 429,
  UNAVAILABLE: 503,
  INTERNAL: 500,
} as const;
export type HttpErrorCode = keyof typeof HttpError;

/** WebSocket close codes the gateway uses (RFC 6455 §7.4.1). */
export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  TRY_AGAIN_LATER: 1013,
  /** the connection's token expired and was not refreshed within `TOKEN_GRACE_SEC` (SPEC §3) */
  TOKEN_EXPIRED: 4001,
} as const;

/** An error as a value: a code from this file and a human message. */
export class CodedError<C extends string = string> extends Error {
  constructor(
    readonly code: C,
    message: string,
  ) {
    super(message);
    this.name = 'CodedError';
  }
}
