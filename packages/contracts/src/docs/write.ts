/** Regenerates the committed API documents (docs/api/*.yaml) and the broker user files from the contracts. */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiDocuments, generatedJson, renderJson, renderYaml } from './registry.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
for (const [file, build] of Object.entries(apiDocuments)) {
  writeFileSync(path.join(root, file), renderYaml(build()));
  console.log(`wrote ${file}`);
}
for (const [file, build] of Object.entries(generatedJson)) {
  mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
  writeFileSync(path.join(root, file), renderJson(build()));
  console.log(`wrote ${file}`);
}
