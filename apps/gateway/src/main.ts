/** The gateway process: config, logger, `startGateway`, graceful shutdown. */
// First: tracing hooks the libraries the imports below load.
import './instrument.js';
import { runService } from '@coffeechat/service-kit';
import { loadConfig } from './config.js';
import { startGateway } from './service.js';

await runService({
  name: 'gateway',
  loadConfig,
  start: startGateway,
  logFields: (config) => ({ gatewayId: config.gatewayId }),
});
