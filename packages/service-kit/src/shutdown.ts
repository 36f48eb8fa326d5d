import type { Logger } from './logger.js';

/**
 * Graceful shutdown on SIGTERM/SIGINT (SPEC §2): runs the steps in order (stop accepting, drain,
 * close connections) and exits; a process still alive after `timeoutMs` exits anyway.
 */
export function onShutdown(logger: Logger, steps: Array<() => Promise<void> | void>, timeoutMs = 10_000): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, timeoutMs).unref();
    for (const step of steps) {
      try {
        await step();
      } catch (err) {
        logger.warn({ err }, 'shutdown step failed');
      }
    }
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
