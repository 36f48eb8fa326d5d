/** The presence process: config, logger, `startPresence`, graceful shutdown. */
// First: tracing hooks the libraries the imports below load.
import './instrument.js';
import { runService } from '@coffeechat/service-kit';
import { loadConfig } from './config.js';
import { startPresence } from './service.js';

await runService({ name: 'presence', loadConfig, start: startPresence });
