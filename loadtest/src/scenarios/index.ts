/** The scenarios `npm run bench -- <scenario>` can run. */
import type { ScenarioName } from '../params.js';
import type { MachineInfo } from '../probes/machine.js';
import type { Report } from '../report/report.js';
import { capacity } from './capacity.js';
import { connections } from './connections.js';
import type { BenchContext } from './context.js';
import { failover } from './failover.js';
import { partitions } from './partitions.js';
import { peers } from './peers.js';
import { smoke } from './smoke.js';

export type Scenario = (ctx: BenchContext, machine: MachineInfo) => Promise<Report>;

export const scenarios: Record<ScenarioName, Scenario> = { smoke, partitions, capacity, connections, peers, failover };
