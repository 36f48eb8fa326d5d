/**
 * Test servers from testcontainers when a Docker engine answers (RabbitMQ 3.13 with quorum queues,
 * Redis 7, MongoDB 7 as a single-node replica set, the images deploy/compose.yaml runs), otherwise
 * the URLs the environment or scripts/infra.mjs provide. testcontainers is loaded only on the Docker
 * path, so suites on machines without Docker never pay for it.
 */
import { chooseServerSource, type ServerSource } from './server-source.js';
import { servers } from './servers.js';

export const CONTAINER_IMAGES = {
  rabbitmq: 'rabbitmq:3.13-management',
  redis: 'redis:7',
  mongodb: 'mongo:7',
} as const;

export interface TestServers {
  source: ServerSource;
  urls: { amqp: string; redis: string; mongo: string };
  /** stops the containers this call started (nothing for the other sources) */
  stop(): Promise<void>;
}

/** True when testcontainers finds a container runtime (DOCKER_HOST, the socket, Podman, ...). */
export async function dockerEngineAnswers(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await getContainerRuntimeClient();
    return true;
  } catch {
    return false;
  }
}

const withGuest = (url: string) => {
  const u = new URL(url);
  if (!u.username) {
    u.username = 'guest';
    u.password = 'guest';
  }
  return u.toString().replace(/\/$/, '');
};

export async function startTestServers(env: NodeJS.ProcessEnv = process.env): Promise<TestServers> {
  const given = Boolean(env.AMQP_URL && env.REDIS_URL && env.MONGO_URL);
  const source = chooseServerSource({ env, dockerAnswers: given ? false : await dockerEngineAnswers() });
  if (source !== 'docker') {
    return {
      source,
      urls: { amqp: servers.amqpUrl, redis: servers.redisUrl, mongo: servers.mongoUrl },
      stop: async () => {},
    };
  }
  const [{ RabbitMQContainer }, { RedisContainer }, { MongoDBContainer }] = await Promise.all([
    import('@testcontainers/rabbitmq'),
    import('@testcontainers/redis'),
    import('@testcontainers/mongodb'),
  ]);
  const started = await Promise.all([
    new RabbitMQContainer(CONTAINER_IMAGES.rabbitmq).start(),
    new RedisContainer(CONTAINER_IMAGES.redis).start(),
    // the module starts mongod with --replSet and initiates the set
    new MongoDBContainer(CONTAINER_IMAGES.mongodb).start(),
  ]);
  const [rabbitmq, redis, mongodb] = started;
  return {
    source,
    urls: {
      amqp: withGuest(rabbitmq.getAmqpUrl()),
      redis: redis.getConnectionUrl(),
      // the set's member is known by its container hostname, unreachable from here: talk to it directly
      mongo: `${mongodb.getConnectionString()}/coffeechat?directConnection=true`,
    },
    stop: async () => {
      await Promise.all(started.map((c) => c.stop()));
    },
  };
}
