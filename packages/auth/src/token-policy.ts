/** How long a token may live and how much clock skew between issuer and service is forgiven (SPEC §3). */
export interface TokenPolicy {
  /** a token valid for longer than this (`exp − iat`, or `exp − now` without `iat`) is refused */
  maxAgeSec: number;
  /** forgiven on `exp`, `nbf`, `iat` and the maximum age */
  clockToleranceSec: number;
}

export const DEFAULT_TOKEN_POLICY: TokenPolicy = { maxAgeSec: 24 * 3600, clockToleranceSec: 30 };
