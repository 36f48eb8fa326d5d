import { createLogger, loadOrExit, onShutdown } from '@coffeechat/service-kit';
import { loadConfig } from './config.js';
import { startFeed } from './service.js';

const config = loadOrExit(() => loadConfig(process.env));
const logger = createLogger('feed', config.common.logLevel);
const feed = await startFeed(config, logger);
onShutdown(logger, [() => feed.close()]);
