/** The gateway process: config, logger, `startGateway`, graceful shutdown. */
// First: tracing hooks the libraries the imports below load.
import './instrument.js';
import { createLogger, loadOrExit, onShutdown } from '@coffeechat/service-kit';
import { currentTelemetry } from '@coffeechat/telemetry';
import { loadConfig } from './config.js';
import { startGateway } from './service.js';

const telemetry = currentTelemetry();
const config = loadOrExit(() => loadConfig(process.env));
const logger = createLogger('gateway', config.logLevel).child({ gatewayId: config.gatewayId });
const gateway = await startGateway(config, logger);
logger.info({ tracing: telemetry.description }, 'gateway tracing');
onShutdown(logger, [() => gateway.stop(), () => telemetry.shutdown()]);
