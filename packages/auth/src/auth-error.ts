/** A token refused: the message says why, and goes to the caller (HTTP 401, WebSocket `UNAUTHORIZED`). */
export class AuthError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'AuthError';
  }
}

/** A refusal named by a JOSE error code (`invalid token (ERR_JWS_SIGNATURE_VERIFICATION_FAILED)`). */
export const refused = (code: string) => new AuthError(`invalid token (${code})`);

/** A refusal named by a claim and jose's reason (`invalid token (aud: check_failed)`). */
export const claimRefused = (claim: string, reason: 'missing' | 'invalid' | 'check_failed') =>
  new AuthError(`invalid token (${claim}: ${reason})`);
