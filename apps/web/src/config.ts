/**
 * Where the services are. The app's server tells (`/config.json`); without it, the page's own host on
 * the default ports of SPEC §2.
 */
export interface AppConfig {
  gatewayUrl: string;
  routerUrl: string;
  feedUrl: string;
  /** the server offers development sign-in (`POST /dev/token`) */
  devSignIn: boolean;
}

export async function loadConfig(): Promise<AppConfig> {
  const secure = location.protocol === 'https:';
  const host = location.hostname;
  const defaults: AppConfig = {
    gatewayUrl: `${secure ? 'wss' : 'ws'}://${host}:8080/ws`,
    routerUrl: `${location.protocol}//${host}:8081`,
    feedUrl: `${location.protocol}//${host}:8083`,
    devSignIn: false,
  };
  try {
    const res = await fetch('/config.json', { signal: AbortSignal.timeout(5000) });
    if (res.ok) return { ...defaults, ...((await res.json()) as Partial<AppConfig>) };
  } catch {
    // a static host without the app's server: defaults
  }
  return defaults;
}
