/** Runtime validation at the boundaries, compiled once per schema. */
import { FormatRegistry, type Static, type TSchema } from '@sinclair/typebox';
import { type TypeCheck, TypeCompiler } from '@sinclair/typebox/compiler';
import { type ClientFrame, ClientFrames, type ClientFrameType } from './frames.js';

if (!FormatRegistry.Has('date-time')) FormatRegistry.Set('date-time', (v) => !Number.isNaN(Date.parse(v)));

export type Validated<T> = { ok: true; value: T } | { ok: false; field: string; message: string };

export interface Validator<S extends TSchema> {
  readonly schema: S;
  check(value: unknown): value is Static<S>;
  validate(value: unknown): Validated<Static<S>>;
}

const fieldOf = (path: string) => (path === '' ? '(root)' : path.replace(/^\//, '').replaceAll('/', '.'));

export function validator<S extends TSchema>(schema: S): Validator<S> {
  const compiled: TypeCheck<S> = TypeCompiler.Compile(schema);
  return {
    schema,
    check: (value: unknown): value is Static<S> => compiled.Check(value),
    validate(value) {
      if (compiled.Check(value)) return { ok: true, value };
      const first = compiled.Errors(value).First();
      const field = fieldOf(first?.path ?? '');
      return { ok: false, field, message: `${field}: ${first?.message ?? 'invalid'}` };
    },
  };
}

const clientValidators = Object.fromEntries(
  Object.entries(ClientFrames).map(([type, schema]) => [type, validator(schema)]),
) as { [K in ClientFrameType]: Validator<(typeof ClientFrames)[K]> };

export type ParsedClientFrame = { ok: true; frame: ClientFrame } | { ok: false; message: string; id?: string };

/** Parses one text frame from a client: JSON, a known `type`, and that type's fields. */
export function parseClientFrame(text: string): ParsedClientFrame {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { ok: false, message: 'frame is not valid JSON' };
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return { ok: false, message: 'frame must be a JSON object' };
  }
  const record = value as Record<string, unknown>;
  const id = typeof record.id === 'string' && record.id.length <= 64 ? record.id : undefined;
  const type = record.type;
  if (typeof type !== 'string' || !Object.hasOwn(clientValidators, type)) {
    return { ok: false, message: `unknown frame type ${JSON.stringify(type)}`, ...(id ? { id } : {}) };
  }
  const result = clientValidators[type as ClientFrameType].validate(value);
  if (!result.ok) return { ok: false, message: result.message, ...(id ? { id } : {}) };
  return { ok: true, frame: result.value as ClientFrame };
}
