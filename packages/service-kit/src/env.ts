/**
 * Settings from environment variables, parsed once at start-up into a typed object. A bad value stops
 * the process with one line naming the variable (SPEC §2). Nothing else reads `process.env`.
 */
import { redactUrl } from './url-redaction.js';

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

export type Env = Readonly<Record<string, string | undefined>>;
export type Field<T> = (env: Env) => T;

const raw = (env: Env, name: string) => {
  const value = env[name];
  return value === undefined || value.trim() === '' ? undefined : value.trim();
};

export const str =
  (name: string, fallback: string): Field<string> =>
  (env) =>
    raw(env, name) ?? fallback;

export const optionalStr =
  (name: string): Field<string | undefined> =>
  (env) =>
    raw(env, name);

export const int =
  (name: string, fallback: number, { min = 0, max = Number.MAX_SAFE_INTEGER } = {}): Field<number> =>
  (env) => {
    const value = raw(env, name);
    if (value === undefined) return fallback;
    if (!/^-?\d+$/.test(value)) throw new ConfigError(name, `expected an integer, got "${value}"`);
    const n = Number(value);
    if (n < min || n > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${n}`);
    return n;
  };

export const port = (name: string, fallback: number): Field<number> => int(name, fallback, { min: 0, max: 65535 });

export const url =
  (name: string, fallback: string, protocols: string[]): Field<string> =>
  (env) => {
    const value = raw(env, name) ?? fallback;
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      throw new ConfigError(name, `not a URL: "${redactUrl(value)}"`);
    }
    if (!protocols.includes(parsed.protocol)) {
      throw new ConfigError(name, `expected ${protocols.join(' or ')} URL, got ${parsed.protocol}`);
    }
    return value;
  };

export const list =
  (name: string): Field<string[]> =>
  (env) =>
    (raw(env, name) ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);

export const oneOf =
  <T extends string>(name: string, fallback: T, values: readonly T[]): Field<T> =>
  (env) => {
    const value = raw(env, name) ?? fallback;
    if (!values.includes(value as T))
      throw new ConfigError(name, `must be one of ${values.join(', ')}, got "${value}"`);
    return value as T;
  };

/** Parses every field; the first bad variable throws a `ConfigError`. */
export function parseEnv<T extends Record<string, unknown>>(env: Env, fields: { [K in keyof T]: Field<T[K]> }): T {
  const out = {} as T;
  for (const key of Object.keys(fields) as (keyof T)[]) out[key] = fields[key](env);
  return out;
}

/** Runs `load`; on a `ConfigError` prints its one line and exits with status 1. */
export function loadOrExit<T>(load: () => T): T {
  try {
    return load();
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`config error: ${err.message}\n`);
      process.exit(1);
    }
    throw err;
  }
}
