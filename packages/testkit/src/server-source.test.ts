import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { chooseServerSource, type SourceFacts } from './server-source.js';

const ALL = { AMQP_URL: 'amqp://a', REDIS_URL: 'redis://r', MONGO_URL: 'mongodb://m' };

const cases: Array<[string, SourceFacts, string]> = [
  ['all three URLs given', { env: ALL, dockerAnswers: true }, 'env'],
  ['all three URLs given, no Docker', { env: ALL, dockerAnswers: false }, 'env'],
  ['only some URLs given, Docker answers', { env: { AMQP_URL: 'amqp://a' }, dockerAnswers: true }, 'docker'],
  ['nothing given, Docker answers', { env: {}, dockerAnswers: true }, 'docker'],
  ['Docker answers but is switched off', { env: { COFFEECHAT_NO_DOCKER: '1' }, dockerAnswers: true }, 'local'],
  ['nothing given, no Docker', { env: {}, dockerAnswers: false }, 'local'],
  ['an empty URL counts as not given', { env: { ...ALL, MONGO_URL: '' }, dockerAnswers: false }, 'local'],
];

describe('chooseServerSource', () => {
  it.each(cases)('%s', (_, facts, expected) => {
    expect(chooseServerSource(facts)).toBe(expected);
  });

  it('agrees with chooseSource of scripts/infra.mjs, which resolves the servers for npm test', async () => {
    const infraPath = path.resolve(
      path.dirname(fileURLToPath(import.meta.url)),
      '..',
      '..',
      '..',
      'scripts',
      'infra.mjs',
    );
    const infra = (await import(pathToFileURL(infraPath).href)) as { chooseSource(facts: SourceFacts): string };
    for (const [, facts] of cases) expect(chooseServerSource(facts)).toBe(infra.chooseSource(facts));
  });
});
