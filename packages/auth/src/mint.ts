import { SignJWT } from 'jose';

export interface MintOptions {
  secret: string;
  admin?: boolean;
  /** a jose time span such as `1h`, `15m`, `7d` */
  ttl?: string;
  issuer?: string;
  audience?: string;
}

/** Signs an HS256 token like the main CoffeeChat service issues (development and tests). */
export async function mintToken(userId: string, options: MintOptions): Promise<string> {
  let jwt = new SignJWT(options.admin ? { roles: ['admin'] } : {})
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .setSubject(userId)
    .setIssuedAt()
    .setExpirationTime(options.ttl ?? '1h');
  if (options.issuer) jwt = jwt.setIssuer(options.issuer);
  if (options.audience) jwt = jwt.setAudience(options.audience);
  return jwt.sign(new TextEncoder().encode(options.secret));
}
