/** The message-router process: config, logger, `startRouter`, graceful shutdown. */
// First: tracing hooks the libraries the imports below load.
import './instrument.js';
import { createLogger, loadOrExit, onShutdown } from '@coffeechat/service-kit';
import { currentTelemetry } from '@coffeechat/telemetry';
import { loadConfig } from './config.js';
import { startRouter } from './service.js';

const telemetry = currentTelemetry();
const config = loadOrExit(() => loadConfig(process.env));
const logger = createLogger('message-router', config.logLevel);
const router = await startRouter(config, logger);
logger.info({ tracing: telemetry.description }, 'message-router tracing');
onShutdown(logger, [() => router.stop(), () => telemetry.shutdown()]);
