/** What every scenario gets: its parameters, the infrastructure, one clock and one process sampler. */
import type { LoadParams } from '../params.js';
import { ProcessSampler } from '../probes/process-sampler.js';
import type { InfraUrls } from '../stack/coffeechat-stack.js';

export interface BenchContext {
  /** a bench scenario or a fault */
  scenario: string;
  params: LoadParams;
  infra: InfraUrls;
  jwtSecret: string;
  /** Date.now() when the scenario started: the zero of every timeline */
  origin: number;
  clock(): number;
  sampler: ProcessSampler;
  /** short random tag that keeps this run's ids apart from every other run's */
  runTag: string;
  log(message: string): void;
}

export function createContext(scenario: string, params: LoadParams, infra: InfraUrls, jwtSecret: string): BenchContext {
  const origin = Date.now();
  const clock = () => (Date.now() - origin) / 1000;
  return {
    scenario,
    params,
    infra,
    jwtSecret,
    origin,
    clock,
    sampler: new ProcessSampler(clock),
    runTag: Math.random().toString(36).slice(2, 8),
    log: (message) => console.log(`[bench ${clock().toFixed(1).padStart(6)}s] ${message}`),
  };
}
