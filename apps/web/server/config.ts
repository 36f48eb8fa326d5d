/** The web app server's settings (SPEC §2), parsed once at start-up; nothing else reads `process.env`. */
import { type AuthSettings, usesDevelopmentSecret } from '@coffeechat/auth';
import {
  allowedOrigins,
  authSettings,
  type Env,
  LOG_LEVELS,
  type LogLevel,
  oneOf,
  optionalStr,
  parseEnv,
  port,
  url,
} from '@coffeechat/service-kit';

/** Where the browser finds the services; unset ones default to the page's host on their default ports. */
export interface ApiUrls {
  gatewayUrl?: string;
  routerUrl?: string;
  feedUrl?: string;
}

export interface WebConfig {
  port: number;
  logLevel: LogLevel;
  allowedOrigins: string[];
  apis: ApiUrls;
  /** undefined when no token setting is given: the server verifies no tokens, so it needs no key */
  auth: AuthSettings | undefined;
  /** `/dev/token` exists only while the development secret is in use */
  devTokens: boolean;
}

const optionalUrl =
  (name: string, protocols: string[]) =>
  (env: Env): string | undefined =>
    optionalStr(name)(env) === undefined ? undefined : url(name, '', protocols)(env);

/**
 * The JWT settings only decide whether development sign-in exists (and sign its tokens): without any of
 * them the server starts without it, so a deployment never has to hand the page's server a signing key.
 * Given ones are checked as every service checks them.
 */
function tokenSettingGiven(env: Env): boolean {
  const given = (name: string) => optionalStr(name)(env) !== undefined;
  return (
    given('JWT_SECRET') || given('JWT_JWKS_URL') || (given('JWT_DEV_SECRET') && env.JWT_DEV_SECRET?.trim() !== '0')
  );
}

export function loadConfig(env: Env): WebConfig {
  const own = parseEnv(env, {
    port: port('WEB_PORT', 8084),
    logLevel: oneOf('LOG_LEVEL', 'info', LOG_LEVELS),
    allowedOrigins,
    gatewayUrl: optionalUrl('WEB_GATEWAY_URL', ['ws:', 'wss:']),
    routerUrl: optionalUrl('WEB_ROUTER_URL', ['http:', 'https:']),
    feedUrl: optionalUrl('WEB_FEED_URL', ['http:', 'https:']),
  });
  const auth = tokenSettingGiven(env) ? authSettings(env, env.NODE_ENV === 'production') : undefined;
  const apis: ApiUrls = {};
  for (const key of ['gatewayUrl', 'routerUrl', 'feedUrl'] as const) {
    const value = own[key];
    if (value !== undefined) apis[key] = value;
  }
  return {
    port: own.port,
    logLevel: own.logLevel,
    allowedOrigins: own.allowedOrigins,
    apis,
    auth,
    devTokens: auth !== undefined && usesDevelopmentSecret(auth),
  };
}
