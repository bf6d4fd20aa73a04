/** What recovery is asked (policy, options) and what it reports; the decisions are in policy.ts. */
import type { CorruptionReason } from '../../errors.js';

export type RecoveryPolicy = 'tolerate-tail' | 'strict' | 'truncate' | 'salvage';
export const RECOVERY_POLICIES: readonly RecoveryPolicy[] = ['tolerate-tail', 'strict', 'truncate', 'salvage'];

export interface CorruptionEntry {
  segment: string;
  /** Byte position in the segment file. */
  position: number;
  /** Global offset. */
  offset: number;
  reason: CorruptionReason | string;
}

export interface RecoveryReport {
  policy: RecoveryPolicy;
  dryRun: boolean;
  /** Segment files in the journal. */
  segments: number;
  segmentsScanned: number;
  /** Records that verified in the scanned segments (after recovery's decisions). */
  recordsValid: number;
  bytesScanned: number;
  /** Global offset where data was (or, with dryRun, would be) cut; null if nothing was. */
  truncatedAt: number | null;
  bytesTruncated: number;
  /** Valid records thrown away ('truncate' policy). */
  recordsDropped: number;
  corruption: CorruptionEntry[];
  /** Regions skipped by 'salvage'. */
  gaps: Array<{ segment: string; from: number; to: number }>;
  /** Copies of cut bytes and segments set aside (rule 10). */
  brokenFiles: string[];
  /**
   * All-zero bytes after the last record of the tail segment: space the writer
   * preallocated, or writes that never reached the disk. A zero length is the end
   * of written data, so they are neither a torn tail nor corruption; they are cut off
   * without a copy (unless dryRun).
   */
  zeroTailBytes: number;
  /** The journal's end after recovery. */
  end: number;
}

export interface RecoveryOptions {
  policy: RecoveryPolicy;
  dryRun: boolean;
  verifyAll: boolean;
  /** Published durable watermark, or null when missing/unreadable. */
  watermark: number | null;
  /** Called after each stretch of verified bytes with the running total. */
  onProgress?: (bytesScanned: number) => void;
  /**
   * Durably lowers the published watermark. Called before recovery removes
   * bytes below it, so a crash mid-recovery never leaves a watermark above the
   * data (which the next open would take for lost acknowledged records).
   */
  lowerWatermark?: (value: number) => Promise<void>;
}
