/** What a fault is: the servers it needs, the load it runs under, and how it starts and ends. */

import type { RabbitNode, RedisServer } from '@coffeechat/testkit';
import type { LoadParams } from '../params.js';
import type { Measurement, StepPlan } from '../scenarios/measure.js';
import type { FaultStack, Link } from './fault-stack.js';
import type { FerretServer } from './servers/ferretdb.js';
import type { Toxiproxy } from './servers/toxiproxy.js';

/** Everything a fault can act on, for one run. */
export interface FaultWorld {
  stack: FaultStack;
  params: LoadParams;
  /** signs the tokens a fault's own checks use */
  jwtSecret: string;
  toxiproxy: Toxiproxy | undefined;
  /** RabbitMQ nodes of the run's own (one, or three in a cluster); empty: the machine's broker */
  rabbit: RabbitNode[];
  redis: RedisServer | undefined;
  ferret: FerretServer | undefined;
  /** watch a (new) process's CPU and memory from now on */
  track(name: string, pid: number): void;
  log(message: string): void;
  /** fault-specific measurements for the report (e.g. how long a SIGTERM took) */
  facts: Record<string, unknown>;
  /** the fault really starts now (after preparations inside `inject`, e.g. finding the node to kill) */
  markInjected(): void;
  /** extra targets judged by the fault itself */
  targets: { target: string; actual: string; met: boolean | null }[];
}

export interface FaultSetup {
  /** RabbitMQ: the machine's (default), a node of the run's own, or a three-node cluster of its own */
  broker?: 'machine' | 'own' | 'cluster';
  /** a redis-server of the run's own (no persistence) */
  ownRedis?: boolean;
  /** a FerretDB of the run's own */
  ownStore?: boolean;
  /** links that go through toxiproxy */
  proxied?: Link[];
}

export interface FaultDef {
  name: string;
  /** one line: what is done */
  summary: string;
  setup: FaultSetup;
  /** load parameters that differ from the fault suite's defaults */
  load?: Partial<LoadParams>;
  /** the measured steps (default: one step of `durationSec` at `rooms × ratePerRoom`), and which one holds the fault */
  plan?: (p: LoadParams) => { steps: StepPlan[]; faultStep: number };
  /** runs once the stack is up, before the load */
  prepare?(w: FaultWorld): Promise<void>;
  /** starts the fault; `params.downSec` later `heal` ends it */
  inject(w: FaultWorld): Promise<void>;
  heal(w: FaultWorld): Promise<void>;
  /** starts when the fault is over, runs alongside the rest of the load; awaited before the stack stops */
  afterHeal?(w: FaultWorld): Promise<void>;
  /** reads fault-specific results from the measurement (after the run) */
  analyse?(w: FaultWorld, m: Measurement, times: { injectedAt: number; healedAt: number }): void;
}
