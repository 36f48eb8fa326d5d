/**
 * Scenario parameters: each scenario has defaults sized for this 2-core machine; any of them can be
 * overridden on the command line (`npm run bench -- capacity --rooms=200 --step-sec=10`).
 */

export interface LoadParams {
  /** chat rooms that send */
  rooms: number;
  /** member connections per room (one user each, SPEC allows at most 4) */
  members: number;
  /** messages per second per room in fixed-rate phases */
  ratePerRoom: number;
  /** body size in bytes */
  messageBytes: number;
  /** length of a fixed-rate phase, or of each step of a rate search */
  durationSec: number;
  /** new connections per second while connecting (whole generator) */
  connectPerSec: number;
  gateways: number;
  routers: number;
  partitions: number;
  /** the routers' batch size (ROUTER_BATCH_MAX; 1 = one store call per message, the seed's V2 consumer) */
  batchMax: number;
  /** generator worker processes */
  workers: number;
  /** how long to wait after sending stops for outstanding acks and deliveries */
  drainSec: number;
  /** an uncounted first phase (every room sends at least once) before the measured steps; 0 = none */
  warmupSec: number;
  /** total message rates (messages/s) stepped through by the rate searches */
  steps: number[];
  /** a step is good while its p99 send→deliver stays at or under this */
  p99LimitMs: number;
  /** idle connections to open (connections scenario) */
  connections: number;
  /** seconds to hold idle connections open before measuring (connections scenario) */
  holdSec: number;
  /** failover: seconds into the load when the active router is killed, and how long it stays down */
  killAtSec: number;
  downSec: number;
  /** how the generator talks to CoffeeChat: `client` = the SDK (@coffeechat/client), `raw` = SPEC §4 frames on a bare socket */
  driver: 'client' | 'raw';
  /** peers: which systems to load, in order (coffeechat, socketio, uws) */
  systems: string[];
  /** use these gateways (ws URLs) and router (http URL) instead of starting a stack */
  gatewayUrls: string[];
  routerUrl: string | undefined;
  /** CPU-profile the services (`--profile=1`): a .cpuprofile per process beside the report */
  profile: number;
  /** faults: the measured capacity (messages/s) the overload fault doubles */
  capacity: number;
}

export type ScenarioName = 'smoke' | 'partitions' | 'capacity' | 'connections' | 'peers' | 'failover';
export const SCENARIOS: readonly ScenarioName[] = [
  'smoke',
  'partitions',
  'capacity',
  'connections',
  'peers',
  'failover',
];

export const SYSTEMS = ['coffeechat', 'socketio', 'uws'];

export const BASE_PARAMS: LoadParams = {
  rooms: 50,
  members: 4,
  ratePerRoom: 2,
  messageBytes: 100,
  durationSec: 20,
  connectPerSec: 500,
  gateways: 1,
  routers: 1,
  partitions: 16,
  batchMax: 100,
  workers: 1,
  drainSec: 5,
  warmupSec: 5,
  steps: [],
  p99LimitMs: 100,
  connections: 0,
  holdSec: 5,
  killAtSec: 0,
  downSec: 0,
  driver: 'client',
  systems: ['coffeechat', 'socketio', 'uws'],
  gatewayUrls: [],
  routerUrl: undefined,
  profile: 0,
  // docs/benchmarks.md: the maximum sustained rate measured by `capacity`
  capacity: 100,
};

/** The rate searches' workload: 2,000 users in 500 rooms of 4, 10 s a step, the total rate set by `steps`. */
const RATE_SEARCH: LoadParams = {
  ...BASE_PARAMS,
  rooms: 500,
  workers: 2,
  ratePerRoom: 0,
  durationSec: 10,
  drainSec: 10,
};

export const DEFAULTS: Record<ScenarioName, LoadParams> = {
  // ≤ 60 s end to end including start-up: 200 connections over two gateways, 100 messages/s for 15 s;
  // the drain ends as soon as everything arrived, the 15 s are only its bound on a slow machine.
  smoke: { ...BASE_PARAMS, rooms: 50, gateways: 2, durationSec: 15, drainSec: 15, warmupSec: 2 },
  // The V2 experiment: many rooms sending at once, a rate search for P=1 and for P=16.
  partitions: { ...RATE_SEARCH, steps: [10, 25, 50, 100, 200, 400, 800, 1600, 3200] },
  // The target workload: 2,000 users in 500 rooms, rate stepped until p99 > 100 ms or loss.
  capacity: { ...RATE_SEARCH, steps: [10, 25, 50, 100, 200, 400, 800, 1000, 1600, 3200] },
  // issue 12: one gateway takes ≥ 1,000 connects/s (a reconnect storm of 10,000 back within 10 s)
  connections: { ...BASE_PARAMS, rooms: 0, workers: 4, connections: 20_000, connectPerSec: 1000, holdSec: 10 },
  peers: { ...RATE_SEARCH, steps: [25, 50, 100, 200, 400, 800, 1600, 3200, 6400] },
  // The smoke workload at half its rate (the store must keep up before a fail-over can be judged),
  // with a long drain: what was queued during the outage must get through before losses are counted.
  failover: {
    ...BASE_PARAMS,
    rooms: 50,
    ratePerRoom: 1,
    gateways: 2,
    routers: 2,
    durationSec: 30,
    drainSec: 60,
    killAtSec: 8,
    downSec: 8,
  },
};

const numeric = new Set<keyof LoadParams>([
  'rooms',
  'members',
  'ratePerRoom',
  'messageBytes',
  'durationSec',
  'connectPerSec',
  'gateways',
  'routers',
  'partitions',
  'batchMax',
  'workers',
  'drainSec',
  'warmupSec',
  'p99LimitMs',
  'connections',
  'holdSec',
  'killAtSec',
  'downSec',
  'profile',
  'capacity',
]);

const camel = (flag: string) => flag.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

export class ParamError extends Error {}

/** `--rooms=10 --steps=100,200 --gateway-url=ws://…` over the scenario's defaults. */
export function parseParams(scenario: ScenarioName, args: readonly string[]): LoadParams {
  return applyParams(DEFAULTS[scenario], args);
}

/** `--name=value` arguments over any defaults (the fault suite has its own). */
export function applyParams(defaults: LoadParams, args: readonly string[]): LoadParams {
  const params: LoadParams = {
    ...defaults,
    steps: [...defaults.steps],
    systems: [...defaults.systems],
  };
  for (const arg of args) {
    const match = /^--([a-z0-9-]+)=(.*)$/.exec(arg);
    if (!match) throw new ParamError(`expected --name=value, got "${arg}"`);
    const name = camel(match[1] ?? '');
    const value = match[2] ?? '';
    if (name === 'steps') {
      params.steps = value.split(',').map((v) => positive(name, v));
    } else if (name === 'driver') {
      if (value !== 'client' && value !== 'raw') throw new ParamError('--driver must be client or raw');
      params.driver = value;
    } else if (name === 'systems') {
      params.systems = value.split(',').filter(Boolean);
      const unknown = params.systems.filter((x) => !SYSTEMS.includes(x));
      if (unknown.length) throw new ParamError(`unknown system ${unknown.join(',')} (known: ${SYSTEMS.join(', ')})`);
    } else if (name === 'gatewayUrl' || name === 'gatewayUrls') {
      params.gatewayUrls = value.split(',').filter(Boolean);
    } else if (name === 'routerUrl') {
      params.routerUrl = value;
    } else if (numeric.has(name as keyof LoadParams)) {
      (params as unknown as Record<string, number>)[name] = nonNegative(name, value);
    } else {
      throw new ParamError(`unknown parameter --${match[1]}`);
    }
  }
  if (params.members < 1 || params.members > 4) throw new ParamError('--members must be 1..4 (SPEC room size)');
  if (params.workers < 1) throw new ParamError('--workers must be ≥ 1');
  if (params.gatewayUrls.length > 0 !== (params.routerUrl !== undefined)) {
    throw new ParamError('--gateway-url and --router-url go together');
  }
  return params;
}

function nonNegative(name: string, value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new ParamError(`--${name} must be a number ≥ 0, got "${value}"`);
  return n;
}

function positive(name: string, value: string): number {
  const n = nonNegative(name, value);
  if (n === 0) throw new ParamError(`--${name} values must be > 0`);
  return n;
}
