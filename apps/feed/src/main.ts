// First: tracing hooks the libraries the imports below load.
import './instrument.js';
import { createLogger, loadOrExit, onShutdown } from '@coffeechat/service-kit';
import { currentTelemetry } from '@coffeechat/telemetry';
import { loadConfig } from './config.js';
import { startFeed } from './service.js';

const telemetry = currentTelemetry();
const config = loadOrExit(() => loadConfig(process.env));
const logger = createLogger('feed', config.common.logLevel);
const feed = await startFeed(config, logger);
logger.info({ tracing: telemetry.description }, 'feed tracing');
onShutdown(logger, [() => feed.close(), () => telemetry.shutdown()]);
