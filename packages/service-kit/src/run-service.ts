/**
 * A service process, the same for every service: its config parsed from the environment (a bad value
 * stops it with one line), its logger, `start` (the service's `startX`, which tests call in-process),
 * and the graceful shutdown of SPEC §2 (the service's `stop()`, then the trace exporter).
 */
import { currentTelemetry } from '@coffeechat/telemetry';
import type { CommonConfig } from './common-config.js';
import { type Env, loadOrExit } from './env.js';
import { createLogger, type Logger } from './logger.js';
import { onShutdown } from './shutdown.js';

export interface RunningService {
  /** graceful: stop accepting, finish the work in hand, close the connections */
  stop(): Promise<void>;
}

export interface ServiceDefinition<C extends Pick<CommonConfig, 'logLevel'>> {
  name: string;
  loadConfig(env: Env): C;
  start(config: C, logger: Logger): Promise<RunningService>;
  /** fields every log line of the process carries */
  logFields?(config: C): Record<string, unknown>;
}

export async function runService<C extends Pick<CommonConfig, 'logLevel'>>(
  service: ServiceDefinition<C>,
): Promise<void> {
  const telemetry = currentTelemetry();
  const config = loadOrExit(() => service.loadConfig(process.env));
  const base = createLogger(service.name, config.logLevel);
  const logger = service.logFields ? base.child(service.logFields(config)) : base;
  const running = await service.start(config, logger);
  logger.info({ tracing: telemetry.description }, `${service.name} started`);
  onShutdown(logger, [() => running.stop(), () => telemetry.shutdown()]);
}
