/**
 * Where the integration tests' RabbitMQ, Redis and MongoDB come from, in ARCHITECTURE's order: URLs given
 * in the environment, then containers (testcontainers) when a Docker engine answers, then the local
 * servers that scripts/infra.mjs starts. Pure, so the choice is unit-tested; it mirrors `chooseSource` of
 * scripts/infra.mjs, and a test keeps the two equal.
 */
export type ServerSource = 'env' | 'docker' | 'local';

export interface SourceFacts {
  env: Readonly<Record<string, string | undefined>>;
  /** whether a Docker (or compatible) engine answered */
  dockerAnswers: boolean;
}

/** All three URLs given → those; else Docker unless COFFEECHAT_NO_DOCKER=1; else the local servers. */
export function chooseServerSource({ env, dockerAnswers }: SourceFacts): ServerSource {
  if (env.AMQP_URL && env.REDIS_URL && env.MONGO_URL) return 'env';
  if (dockerAnswers && env.COFFEECHAT_NO_DOCKER !== '1') return 'docker';
  return 'local';
}
