/** Errors with stable `code`s, so callers can branch without parsing messages. */
import type { FrameDamage } from './format/frame.js';

export class StemeError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

/** A frame that fails verification (its words: format/frame.ts), or segment files that do not fit together. */
export type CorruptionReason = FrameDamage | 'segment gap' | 'segment overlap' | 'bad segment header';

/**
 * What can be done about corruption that refused an open: choose a recovery
 * policy (after a look at what each would do), or accept a loss. The API
 * message words it as calls; the CLI words it as commands.
 */
export type CorruptionRemedy = 'choose-policy' | 'accept-loss';

const API_REMEDY: Record<CorruptionRemedy, string> = {
  'choose-policy': "open with recovery 'truncate' or 'salvage', or inspect with recover({ dryRun: true })",
  'accept-loss': "open with recovery 'truncate' to accept the loss",
};

/**
 * Bytes on disk that fail verification where valid records must be. `code` is
 * 'CORRUPTION', or a kind's own (SegmentFormatError: 'BAD_SEGMENT'); catch the
 * family with `instanceof CorruptionError`.
 */
export class CorruptionError extends StemeError {
  constructor(
    readonly segment: string,
    readonly position: number,
    readonly reason: CorruptionReason | string,
    readonly detail = '',
    readonly remedy: CorruptionRemedy | null = null,
    /** A kind of corruption with a code and message of its own (subclasses). */
    kind?: { code: string; message: string },
  ) {
    super(kind?.code ?? 'CORRUPTION', kind?.message ?? `${describeCorruption(segment, position, reason, detail)}${remedy ? `; ${API_REMEDY[remedy]}` : ''}`);
  }
}

/** "corruption in segment S at byte N: reason (detail)": the message without a remedy. */
export function describeCorruption(segment: string, position: number, reason: string, detail: string): string {
  return `corruption in segment ${segment} at byte ${position}: ${reason}${detail ? ` (${detail})` : ''}`;
}

/**
 * A segment file that is not a readable segment (foreign, truncated header, bad
 * checksum, unknown version): corruption at byte 0 of `file`, code 'BAD_SEGMENT'.
 */
export class SegmentFormatError extends CorruptionError {
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(file, 0, 'bad segment header', detail, null, { code: 'BAD_SEGMENT', message: `${file} is not a readable stemedb segment: ${detail}` });
  }
}

/** Another writer holds the directory's lock. */
export class LockedError extends StemeError {
  constructor(
    readonly dir: string,
    cause?: unknown,
  ) {
    super('ELOCKED', `journal ${dir} is locked by another writer (one writer per directory)`, { cause });
  }
}

/** The journal was closed; nothing more can be done with this handle. */
export class ClosedError extends StemeError {
  constructor() {
    super('CLOSED', 'the journal is closed');
  }
}

/**
 * A write or fsync failed: the journal is fail-stopped. Its `code` is the errno
 * name ('EIO', 'ENOSPC', ...). Nothing is retried; reopen to run recovery.
 */
export class JournalFailedError extends StemeError {
  readonly errno: number | undefined;
  readonly syscall: string | undefined;
  constructor(cause: unknown) {
    const c = cause as { code?: unknown; errno?: unknown; syscall?: unknown; message?: unknown };
    const code = typeof c?.code === 'string' ? c.code : 'EIO';
    const why = code === 'ENOSPC' ? 'the disk is full (ENOSPC)' : `${code}${typeof c?.message === 'string' ? `: ${c.message}` : ''}`;
    super(code, `journal failed and stopped accepting writes: ${why}; records not acknowledged may be lost; reopen to recover`, { cause });
    this.errno = typeof c?.errno === 'number' ? c.errno : undefined;
    this.syscall = typeof c?.syscall === 'string' ? c.syscall : undefined;
  }
}

/** An offset that is not where a record starts (mid-record, in a salvaged gap, or cleaned up). */
export class OffsetError extends StemeError {
  constructor(code: 'NOT_RECORD_START' | 'OFFSET_CLEANED' | 'OFFSET_SKIPPED', message: string) {
    super(code, message);
  }
}

/** Turns any thrown value into an Error with a `code`, keeping the original as cause. */
export function ioCode(err: unknown): string {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' ? code : 'EIO';
}

/**
 * An operation stopped by its AbortSignal: `name` 'AbortError', `code` 'ABORT_ERR' and the
 * signal's reason as `cause`, as Node's own (events.on, fs/promises, timers/promises) reject.
 */
export class AbortError extends StemeError {
  declare readonly code: 'ABORT_ERR';
  constructor(message = 'The operation was aborted', options?: { cause?: unknown }) {
    super('ABORT_ERR', message, options);
  }
}

/** Throws an AbortError if `signal` has aborted. */
export function throwIfAborted(signal: AbortSignal | undefined): void {
  if (signal?.aborted) throw new AbortError(undefined, { cause: signal.reason });
}
