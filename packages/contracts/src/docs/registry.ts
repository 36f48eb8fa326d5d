/** Every generated API document and where it is committed (relative to the repository root). */
import YAML from 'yaml';
import { buildBrokerAsyncApi, buildWebSocketAsyncApi } from './asyncapi.js';
import { buildOpenApi } from './openapi.js';
import { feedApi } from './openapi-feed.js';
import { presenceApi } from './openapi-presence.js';
import { routerApi } from './openapi-router.js';

export const apiDocuments: Record<string, () => Record<string, unknown>> = {
  'docs/api/openapi-message-router.yaml': () => buildOpenApi(routerApi),
  'docs/api/openapi-presence.yaml': () => buildOpenApi(presenceApi),
  'docs/api/openapi-feed.yaml': () => buildOpenApi(feedApi),
  'docs/api/asyncapi-broker.yaml': buildBrokerAsyncApi,
  'docs/api/asyncapi-websocket.yaml': buildWebSocketAsyncApi,
};

export const renderYaml = (doc: Record<string, unknown>): string =>
  `# Generated from packages/contracts by \`pnpm --filter @coffeechat/contracts docs:api\`; do not edit.\n${YAML.stringify(doc, { aliasDuplicateObjects: false, lineWidth: 0 })}`;
