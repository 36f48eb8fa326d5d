import type { TSchema } from '@sinclair/typebox';

/** A TypeBox schema as plain JSON Schema (TypeBox's symbol-keyed metadata dropped). */
export const plain = (schema: TSchema): Record<string, unknown> => JSON.parse(JSON.stringify(schema));
