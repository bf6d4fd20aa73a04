/**
 * The record frame: one record on disk (docs/format.md, "Record frame"). Byte layout only,
 * no I/O; the hash backends (src/hash/, native/frames) seal and verify frames in it.
 *
 *   0         4          8                               40
 *   +---------+----------+-------------------------------+---------------------+
 *   | len     | crc32c   | blake3                        | payload             |
 *   | u32 LE  | u32 LE   | BLAKE3-256 of the payload     | len bytes           |
 *   +---------+----------+-------------------------------+---------------------+
 *   |<------------- FRAME_HEADER = 40 bytes ------------>|
 *
 * crc32c covers, in this order: the record's global offset as a u64 LE (frame version 3
 * only: the CRC is bound to where the frame belongs), len, blake3, payload. The next
 * record starts at offset + FRAME_HEADER + len. An all-zero frame never verifies.
 */
import { strict as assert } from 'node:assert';

/** u32 LE: the payload's length. */
export const FRAME_LEN_AT = 0;
/** u32 LE: CRC32C of [offset (v3)] ‖ len ‖ blake3 ‖ payload. */
export const FRAME_CRC_AT = 4;
/** 32 bytes: BLAKE3-256 of the payload, the record's identity. */
export const FRAME_HASH_AT = 8;
export const HASH_BYTES = 32;
/** Header bytes before the payload (and where the payload starts). */
export const FRAME_HEADER = 40;
/** The u32 length field's own limit on a payload. */
export const MAX_RECORD_LIMIT = 0xffffffff - FRAME_HEADER;

/** The frame version that binds each frame's CRC to its global offset (a segment header's format version). */
export const BOUND_FRAME_VERSION = 3;

/** What a frame's CRC is bound to in a segment of `version`: its global offset (v3), or nothing (v2). */
export function frameBinding(version: number, offset: number): number | null {
  return version >= BOUND_FRAME_VERSION ? offset : null;
}

/**
 * Why a frame walk stopped (native/frames/frames.h uses the same codes; the wasm backend too).
 * Its words are FRAME_STOP_REASONS[status].
 */
export const enum FrameStatus {
  Ok = 0,
  TruncatedHeader = 1,
  TruncatedPayload = 2,
  TooLarge = 3,
  CrcMismatch = 4,
  HashMismatch = 5,
  Zeros = 6,
}

/**
 * The one list of frame stop reasons, indexed by FrameStatus: hash.verifyFrames()'s
 * `reason`, and (without 'ok') the frame reasons a CorruptionError gives.
 */
export const FRAME_STOP_REASONS = ['ok', 'truncated header', 'truncated payload', 'length too large', 'crc32c mismatch', 'blake3 mismatch', 'zeros'] as const;
export type FrameStopReason = (typeof FRAME_STOP_REASONS)[number];
/** What is wrong with a frame that did not verify. */
export type FrameDamage = Exclude<FrameStopReason, 'ok'>;

/**
 * The damage a walk that stopped at `status` found where a frame was expected to fail; a
 * frame that verified on this second look failed the first, and counts as a CRC mismatch.
 */
export function frameDamage(status: FrameStatus): FrameDamage {
  return status === FrameStatus.Ok ? 'crc32c mismatch' : (FRAME_STOP_REASONS[status] as FrameDamage);
}

// Invariants of the layout, checked once at load.
assert.equal(FRAME_CRC_AT, FRAME_LEN_AT + 4);
assert.equal(FRAME_HASH_AT, FRAME_CRC_AT + 4);
assert.equal(FRAME_HEADER, 4 + 4 + HASH_BYTES);
assert.equal(FRAME_HEADER, FRAME_HASH_AT + HASH_BYTES);
assert.deepEqual(
  [
    FrameStatus.Ok,
    FrameStatus.TruncatedHeader,
    FrameStatus.TruncatedPayload,
    FrameStatus.TooLarge,
    FrameStatus.CrcMismatch,
    FrameStatus.HashMismatch,
    FrameStatus.Zeros,
  ].map((s) => FRAME_STOP_REASONS[s]),
  FRAME_STOP_REASONS,
);
