/** Regenerates the committed API documents (docs/api/*.yaml) from the contracts. */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { apiDocuments, renderYaml } from './registry.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..', '..');
for (const [file, build] of Object.entries(apiDocuments)) {
  writeFileSync(path.join(root, file), renderYaml(build()));
  console.log(`wrote ${file}`);
}
