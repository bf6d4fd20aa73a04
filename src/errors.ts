/** Errors with stable `code`s, so callers can branch without parsing messages. */

export class StemeError extends Error {
  readonly code: string;
  constructor(code: string, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.code = code;
    this.name = new.target.name;
  }
}

export type CorruptionReason =
  | 'truncated header'
  | 'truncated payload'
  | 'length too large'
  | 'crc32c mismatch'
  | 'blake3 mismatch'
  | 'zeros'
  | 'segment gap'
  | 'segment overlap'
  | 'bad segment header';

/** Bytes on disk that fail verification where valid records must be. */
export class CorruptionError extends StemeError {
  constructor(
    readonly segment: string,
    readonly position: number,
    readonly reason: CorruptionReason | string,
    detail = '',
  ) {
    super('CORRUPTION', `corruption in segment ${segment} at byte ${position}: ${reason}${detail ? ` (${detail})` : ''}`);
  }
}

/** A segment file that is not a readable segment (foreign, truncated header, bad checksum, unknown version). */
export class SegmentFormatError extends StemeError {
  constructor(readonly file: string, detail: string) {
    super('BAD_SEGMENT', `${file} is not a readable stemedb segment: ${detail}`);
  }
}

/** Another writer holds the directory's lock. */
export class LockedError extends StemeError {
  constructor(readonly dir: string, cause?: unknown) {
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
