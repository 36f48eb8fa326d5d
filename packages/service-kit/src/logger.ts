import { pino } from 'pino';
import type { LogLevel } from './common-config.js';

export type Logger = pino.Logger;

/** JSON logs to stdout (SPEC §2), one line each, with the service name. */
export function createLogger(service: string, level: LogLevel): Logger {
  return pino({ level, base: { service }, timestamp: pino.stdTimeFunctions.isoTime });
}
