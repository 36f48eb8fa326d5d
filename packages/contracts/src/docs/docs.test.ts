import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { apiDocuments, generatedJson, renderJson, renderYaml } from './registry.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');

describe('API documents', () => {
  it.each(Object.keys(apiDocuments))('%s is in step with the contracts (regenerate with docs:api)', (file) => {
    const committed = readFileSync(path.join(root, file), 'utf8');
    expect(committed).toBe(renderYaml(apiDocuments[file]!()));
  });

  it.each(Object.keys(generatedJson))('%s is in step with the contracts (regenerate with docs:api)', (file) => {
    expect(readFileSync(path.join(root, file), 'utf8')).toBe(renderJson(generatedJson[file]!()));
  });

  it('every $ref points at something defined', () => {
    for (const build of Object.values(apiDocuments)) {
      const doc = build();
      const text = JSON.stringify(doc);
      for (const [, ref] of text.matchAll(/"\$ref":"#\/([^"]+)"/g)) {
        const target = ref!.split('/').reduce<unknown>((node, key) => (node as Record<string, unknown>)?.[key], doc);
        expect(target, ref).toBeDefined();
      }
      expect(YAML.parse(renderYaml(doc))).toEqual(JSON.parse(text));
    }
  });
});
