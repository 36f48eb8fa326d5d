import type { ErrorFrame, WsErrorCode } from '@coffeechat/contracts';

/** Why a client call failed: a SPEC §4 error code, or the client's own CLOSED / TIMEOUT. */
export type ChatErrorCode = WsErrorCode | 'CLOSED' | 'TIMEOUT';

export class ChatError extends Error {
  constructor(
    readonly code: ChatErrorCode,
    message: string,
    /** the server's error frame, when the server refused */
    readonly frame?: ErrorFrame,
  ) {
    super(message);
    this.name = 'ChatError';
  }
}
