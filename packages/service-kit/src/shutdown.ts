import type { Logger } from './logger.js';

export type ShutdownStep = () => Promise<unknown> | unknown;

/** Runs the steps in order; a step that fails is logged and the next one still runs. */
export async function runSteps(logger: Logger, steps: readonly ShutdownStep[]): Promise<void> {
  for (const step of steps) {
    try {
      await step();
    } catch (err) {
      logger.warn({ err }, 'shutdown step failed');
    }
  }
}

/**
 * Graceful shutdown on SIGTERM/SIGINT (SPEC §2): runs the steps in order (stop accepting, drain,
 * close connections) and exits; a process still alive after `timeoutMs` exits anyway.
 */
export function onShutdown(logger: Logger, steps: readonly ShutdownStep[], timeoutMs = 10_000): void {
  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'shutting down');
    setTimeout(() => {
      logger.error('shutdown took too long; exiting');
      process.exit(1);
    }, timeoutMs).unref();
    await runSteps(logger, steps);
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGTERM', () => void stop('SIGTERM'));
  process.on('SIGINT', () => void stop('SIGINT'));
}
