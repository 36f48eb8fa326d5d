import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createLogger, loadOrExit, onShutdown } from '@coffeechat/service-kit';
import { loadConfig } from './config.js';
import { startWebServer } from './web-server.js';

const config = loadOrExit(() => loadConfig(process.env));
const logger = createLogger('web', config.logLevel);
const publicDir = path.join(path.dirname(fileURLToPath(import.meta.url)), 'public');
const server = await startWebServer(config, publicDir, logger);
onShutdown(logger, [() => server.close()]);
