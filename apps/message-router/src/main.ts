/** The message-router process: config, logger, `startRouter`, graceful shutdown. */
// First: tracing hooks the libraries the imports below load.
import './instrument.js';
import { runService } from '@coffeechat/service-kit';
import { loadConfig } from './config.js';
import { startRouter } from './service.js';

await runService({ name: 'message-router', loadConfig, start: startRouter });
