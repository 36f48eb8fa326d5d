/** What the coordinator and its worker processes say to each other over the IPC channel. */
import type { LedgerCounts } from './ledger.js';
import type { PlannedMember, PlannedRoom } from './plan.js';
import type { SelfSample } from './self-monitor.js';

/** `spec-ws`: SPEC §4 on a bare socket; `coffeechat-client`: the SDK; `socketio`: the Socket.IO peer */
export type DriverName = 'spec-ws' | 'coffeechat-client' | 'socketio';

/** What every worker is told alike: the system, how to reach it, and what it sends. */
export interface DriverSetup {
  driver: DriverName;
  /** endpoint per gateway index */
  urls: string[];
  jwtSecret: string;
  messageBytes: number;
}

export interface WorkerInit extends DriverSetup {
  kind: 'init';
  worker: number;
  /** this worker's share of the connect rate */
  connectPerSec: number;
  rooms: PlannedRoom[];
  /** connections scenario: users that only connect and stay idle */
  idleUsers: PlannedMember[];
}

export type ToWorker =
  | WorkerInit
  | { kind: 'phase'; phase: number; ratePerRoom: number; durationMs: number }
  | { kind: 'drain'; phase: number | null; timeoutMs: number }
  | { kind: 'stop' };

export interface WorkerTick {
  kind: 'tick';
  worker: number;
  /** Date.now() at the end of the interval */
  at: number;
  /** send→deliver and send→ack of this interval, compressed base64 HdrHistograms (µs) */
  deliver: string;
  ack: string;
  sent: number;
  acked: number;
  delivered: number;
  connected: number;
  self: SelfSample;
}

export interface ConnectReport {
  kind: 'connected';
  worker: number;
  connected: number;
  /** users who never got in (after the retries) */
  failed: number;
  /** connect or join attempts that failed, retried ones included */
  failedAttempts: number;
  failures: string[];
  /** connect → hello latency, compressed HdrHistogram */
  connectLatency: string;
  startedAt: number;
  finishedAt: number;
}

export interface DrainReport {
  kind: 'drained';
  worker: number;
  phase: number | null;
  counts: LedgerCounts;
  deliver: string;
  ack: string;
  errors: Record<string, number>;
  retries: number;
  disconnects: number;
  /** connections open when the report was made */
  connected: number;
  /** the first duplicate and out-of-order frames seen, as evidence */
  anomalies: Anomaly[];
}

/**
 * One duplicate or out-of-order `message` frame, as it arrived; or (`lost`, at the drain) a member
 * connection that never received some acked messages: `clientMsgId` the first of them, `seq` the highest
 * seq it did receive, `at` when it last received a new message, `count` how many it misses.
 */
export interface Anomaly {
  kind: 'duplicate' | 'order' | 'lost';
  roomId: string;
  /** the receiving member's index in the room */
  member: number;
  clientMsgId: string;
  seq: number | undefined;
  /** Date.now() when it arrived */
  at: number;
  count?: number;
}

export type FromWorker = WorkerTick | ConnectReport | DrainReport | { kind: 'fatal'; worker: number; message: string };
