/**
 * URLs without their secrets, for error messages and logs (SPEC §2: a URL in an error message never
 * shows its password). Works on text that is not a valid URL too, since that is exactly the text a
 * config error has to print: everything between `//` and the last `@` is treated as credentials.
 */
const CREDENTIALS = /^([A-Za-z][A-Za-z0-9+.-]*:\/\/)(.*)@/s;
const SECRET_PARAMS = /([?&](?:password|pass|pwd|secret|token|proxyPassword|tlsCertificateKeyFilePassword)=)[^&#]*/gi;

export function redactUrl(value: string): string {
  return value
    .replace(CREDENTIALS, (_all, scheme: string, userinfo: string) => {
      const colon = userinfo.indexOf(':');
      // a user name alone may be a token (e.g. `https://<token>@host`): only `user:` survives
      return colon === -1 ? `${scheme}***@` : `${scheme}${userinfo.slice(0, colon)}:***@`;
    })
    .replace(SECRET_PARAMS, '$1***');
}
