/** What the numbers were measured on: the machine, Node, and the versions of broker, store and cache. */
import os from 'node:os';
import amqp from 'amqplib';
import { Redis } from 'ioredis';
import { MongoClient } from 'mongodb';

export interface MachineInfo {
  cpus: number;
  cpuModel: string;
  memoryBytes: number;
  os: string;
  node: string;
  /** 1-minute load average when the run started: other work on a shared machine shows here */
  loadAvg1m: number;
  rabbitmq: string | null;
  redis: string | null;
  store: string | null;
}

async function rabbitVersion(url: string): Promise<string | null> {
  try {
    const conn = await amqp.connect(url);
    const props = (conn as unknown as { connection: { serverProperties: Record<string, string> } }).connection
      .serverProperties;
    await conn.close();
    return `${props.product ?? 'RabbitMQ'} ${props.version ?? '?'}`;
  } catch {
    return null;
  }
}

async function redisVersion(url: string): Promise<string | null> {
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  try {
    await redis.connect();
    const info = await redis.info('server');
    return `Redis ${/redis_version:(\S+)/.exec(info)?.[1] ?? '?'}`;
  } catch {
    return null;
  } finally {
    redis.disconnect();
  }
}

async function storeVersion(url: string): Promise<string | null> {
  const client = new MongoClient(url, { serverSelectionTimeoutMS: 3000 });
  try {
    await client.connect();
    const info = (await client.db('admin').command({ buildInfo: 1 })) as {
      version?: string;
      ferretdbVersion?: string;
      ferretdb?: { version?: string };
    };
    const ferret = info.ferretdbVersion ?? info.ferretdb?.version;
    return ferret ? `FerretDB ${ferret} (MongoDB wire ${info.version ?? '?'})` : `MongoDB ${info.version ?? '?'}`;
  } catch {
    return null;
  } finally {
    await client.close().catch(() => undefined);
  }
}

export async function machineInfo(urls: { amqp: string; redis: string; mongo: string }): Promise<MachineInfo> {
  const cpus = os.cpus();
  const [rabbitmq, redis, store] = await Promise.all([
    rabbitVersion(urls.amqp),
    redisVersion(urls.redis),
    storeVersion(urls.mongo),
  ]);
  return {
    cpus: cpus.length,
    cpuModel: cpus[0]?.model ?? 'unknown',
    memoryBytes: os.totalmem(),
    os: `${os.type()} ${os.release()}`,
    node: process.version,
    loadAvg1m: Math.round((os.loadavg()[0] ?? 0) * 100) / 100,
    rabbitmq,
    redis,
    store,
  };
}
