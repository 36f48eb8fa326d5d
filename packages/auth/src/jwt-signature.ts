/**
 * The signature of a compact JWT, checked with node:crypto, synchronously: HMAC-SHA256 with the shared
 * secret, RSASSA-PKCS1-v1_5 or ECDSA P-256 (IEEE P1363 form, RFC 7518 §3.4) with a key of the issuer's
 * set. Which algorithm may be used with which key is decided before (no HS/RS confusion).
 */
import { constants, createHmac, type KeyObject, timingSafeEqual, verify } from 'node:crypto';

export type JwtAlgorithm = 'HS256' | 'RS256' | 'ES256';

export function signatureValid(alg: JwtAlgorithm, key: KeyObject, signingInput: string, signature: Buffer): boolean {
  if (alg === 'HS256') {
    const mac = createHmac('sha256', key).update(signingInput).digest();
    return mac.length === signature.length && timingSafeEqual(mac, signature);
  }
  try {
    const data = Buffer.from(signingInput);
    return alg === 'RS256'
      ? verify('sha256', data, { key, padding: constants.RSA_PKCS1_PADDING }, signature)
      : verify('sha256', data, { key, dsaEncoding: 'ieee-p1363' }, signature);
  } catch {
    return false; // a signature of the wrong size or form
  }
}
