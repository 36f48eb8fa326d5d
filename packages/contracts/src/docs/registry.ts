/** Every generated API document and where it is committed (relative to the repository root). */
import YAML from 'yaml';
import { brokerUsersDocument } from '../broker-permissions.js';
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

/** Files generated from the contracts for the scripts and deployments that cannot import them. */
export const generatedJson: Record<string, () => Record<string, unknown>> = {
  'deploy/rabbitmq/broker-users.json': brokerUsersDocument,
  'deploy/helm/coffeechat/files/broker-users.json': brokerUsersDocument,
};

export const renderJson = (doc: Record<string, unknown>): string =>
  `${JSON.stringify({ generated: 'from packages/contracts by `pnpm --filter @coffeechat/contracts docs:api`; do not edit', ...doc }, null, 2)}\n`;

export const renderYaml = (doc: Record<string, unknown>): string =>
  `# Generated from packages/contracts by \`pnpm --filter @coffeechat/contracts docs:api\`; do not edit.\n${YAML.stringify(doc, { aliasDuplicateObjects: false, lineWidth: 0 })}`;
