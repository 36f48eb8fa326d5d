/** Every generated API document and where it is committed (relative to the repository root). */
import YAML from 'yaml';
import { buildBrokerAsyncApi, buildWebSocketAsyncApi } from './asyncapi.js';
import { buildOpenApi, routerApi } from './openapi.js';

export const apiDocuments: Record<string, () => Record<string, unknown>> = {
  'docs/api/openapi-message-router.yaml': () => buildOpenApi(routerApi),
  'docs/api/asyncapi-broker.yaml': buildBrokerAsyncApi,
  'docs/api/asyncapi-websocket.yaml': buildWebSocketAsyncApi,
};

export const renderYaml = (doc: Record<string, unknown>): string =>
  `# Generated from packages/contracts by \`pnpm --filter @coffeechat/contracts docs:api\`; do not edit.\n${YAML.stringify(doc, { aliasDuplicateObjects: false, lineWidth: 0 })}`;
