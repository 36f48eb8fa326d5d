/**
 * `MONGO_URL`, parsed the way the MongoDB driver parses it (`mongodb-connection-string-url`, the
 * driver's own parser): a replica set's seed list (`mongodb://u:p@a:27017,b:27017/db?replicaSet=rs`)
 * and `mongodb+srv://` are valid, though WHATWG `new URL()` refuses the first.
 */
import { ConnectionString } from 'mongodb-connection-string-url';
import { ConfigError, type Env, type Field } from './env.js';
import { redactUrl } from './url-redaction.js';

export const mongoUrlField =
  (name: string, fallback: string): Field<string> =>
  (env: Env) => {
    const value = env[name]?.trim() || fallback;
    let parsed: ConnectionString;
    try {
      parsed = new ConnectionString(value);
    } catch (err) {
      // the parser's reasons may quote the value, password included: they are shown without it
      const reason = (err instanceof Error ? err.message : String(err))
        .replace(/\s*(in )?"[^"]*"/g, '')
        .replace(/(unescaped characters).*/, '$1');
      throw new ConfigError(name, `not a MongoDB connection string (${reason}): "${redactUrl(value)}"`);
    }
    if (parsed.hosts.length === 0) throw new ConfigError(name, `names no host: "${redactUrl(value)}"`);
    return value;
  };
