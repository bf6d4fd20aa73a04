/** Options, results and small shared types of a crash-simulation case (sim-workload.ts). */
import type { Durability } from '../../src/journal/write/commit.js';

export interface CrashCaseOptions {
  /** Force a durability mode (default: from the seed). */
  durability?: Durability;
  /** Include process kills (page cache survives). Default true. */
  kills?: boolean;
  /** Include injected EIO/ENOSPC faults. Default true. */
  faults?: boolean;
  /** Reopen with random policies among tolerate-tail/truncate/salvage (default true). */
  policies?: boolean;
  /** Print every disk operation. */
  trace?: boolean;
  /** Real-time limit for the case (default 20 s). */
  timeoutMs?: number;
  /** How a crash treats unsynced directory changes (SimDiskOptions.dirOrder; default 'prefix'). */
  dirOrder?: 'prefix' | 'any';
}

export interface CaseSummary {
  seed: number;
  durability: Durability;
  generations: number;
  appends: number;
  acked: number;
  crashes: number;
  kills: number;
  closes: number;
  openCrashes: number;
  faults: number;
  torn: number;
}

export class CaseFailure extends Error {
  constructor(
    readonly seed: number,
    message: string,
  ) {
    super(message);
  }
}

export interface Sub {
  offset: number;
  next: number;
  payload: Uint8Array;
  gen: number;
  state: 'pending' | 'resolved' | 'rejected';
}

export interface Known {
  next: number;
  payload: Uint8Array;
}

export class CheckError extends Error {}
export function check(cond: unknown, msg: string): asserts cond {
  if (!cond) throw new CheckError(msg);
}
