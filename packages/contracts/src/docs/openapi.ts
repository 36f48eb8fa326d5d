/**
 * The OpenAPI 3.1 document of the HTTP APIs (SPEC §5), built from the same TypeBox schemas the
 * services validate with, so the document cannot drift from the code (docs.test.ts compares it
 * with the committed docs/api/openapi.yaml).
 */
import type { TSchema } from '@sinclair/typebox';
import { plain } from './json-schema.js';

type Operation = Record<string, unknown>;
export type PathItems = Record<string, Record<string, Operation>>;

export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
export const json = (schema: object) => ({ content: { 'application/json': { schema } } });
export const errorResponse = (description: string) => ({ description, ...json(ref('ErrorBody')) });

export const standardErrors = {
  '400': errorResponse('validation failed; `error.field` names the field'),
  '401': errorResponse('missing, invalid or expired bearer token'),
  '429': {
    ...errorResponse(
      'more than `HTTP_REQUESTS_PER_SEC` requests (default 50) by this user to this service in a second',
    ),
    headers: {
      'Retry-After': { description: 'seconds until the user may call again', schema: { type: 'integer', minimum: 1 } },
    },
  },
};

/** Query parameters from a TypeBox object schema of optional string fields. */
export function queryParameters(schema: TSchema): object[] {
  const properties = (schema as { properties?: Record<string, TSchema> }).properties ?? {};
  const required = new Set((schema as { required?: string[] }).required ?? []);
  return Object.entries(properties).map(([name, s]) => ({
    name,
    in: 'query',
    required: required.has(name),
    schema: plain(s),
  }));
}

export const pathParameter = (name: string, description: string) => ({
  name,
  in: 'path',
  required: true,
  description,
  schema: { type: 'string' },
});

export interface ServiceApi {
  name: string;
  port: number;
  description: string;
  paths: PathItems;
  schemas: Record<string, TSchema>;
}

/** One document per service: each listens on its own port (SPEC §2). */
export function buildOpenApi(api: ServiceApi): Record<string, unknown> {
  return {
    openapi: '3.1.0',
    info: {
      title: `CoffeeChat ${api.name}`,
      version: '1.0.0',
      description: `${api.description}. Errors use {"error":{"code","message"}}; unknown body fields are rejected with 400.`,
    },
    servers: [{ url: `http://127.0.0.1:${api.port}` }],
    security: [{ bearer: [] }],
    paths: api.paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
      schemas: Object.fromEntries(Object.entries(api.schemas).map(([name, s]) => [name, plain(s)])),
    },
  };
}
