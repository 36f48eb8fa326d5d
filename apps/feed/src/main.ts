/** The feed process: config, logger, `startFeed`, graceful shutdown. */
// First: tracing hooks the libraries the imports below load.
import './instrument.js';
import { runService } from '@coffeechat/service-kit';
import { loadConfig } from './config.js';
import { startFeed } from './service.js';

await runService({ name: 'feed', loadConfig, start: (config, logger) => startFeed(config, logger) });
