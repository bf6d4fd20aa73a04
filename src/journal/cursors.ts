/**
 * Named durable cursors: a consumer's position, kept in the journal directory
 * (`cursors/<name>.cursor`) so the journal knows its consumers (lag in stats(),
 * retention never deletes what a cursor has not passed). Each commit replaces the
 * file crash-safely (durable-file.ts); the writer and readers in other processes
 * commit alike (no lock is needed: each cursor name has one committer at a time).
 *
 * File: 32 bytes [ "SCUR" ][offset u64 LE][committedAt ms u64 LE][reserved u32][crc32c of 0..24 u32][ zeros ].
 */
import { join } from 'node:path';
import type { JournalIO } from '../io/types.js';
import { argRangeError, argTypeError, checkNonNegativeInteger, checkOptions, describe, keysOf } from '../validate.js';
import { crc32c } from '../hash/index.js';
import { OffsetError, StemeError } from '../errors.js';
import { isDirSyncFailure, readSmallFile, unlinkDurableFile, writeDurableFile } from './durable-file.js';

export const CURSOR_DIR = 'cursors';
const SUFFIX = '.cursor';
const FILE_BYTES = 32;
const MAGIC = [0x53, 0x43, 0x55, 0x52]; // "SCUR"
/** Letters, digits, '.', '_', '-'; starting with a letter or digit; at most 64 characters. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

export interface CursorInfo {
  name: string;
  /** The committed offset: the next record this consumer will read. */
  offset: number;
  /** When it was committed (ms since the epoch, the committer's clock). */
  committedAt: number;
}

export interface CommitOptions {
  /** Allow an offset below the committed one (a consumer rewinding on purpose). Default false: CURSOR_BACKWARD. */
  allowBackward?: boolean;
}
const COMMIT_OPTION_KEYS = keysOf<CommitOptions>({ allowBackward: true });

/** What a cursor store needs from its journal (the writer or a reader). */
interface CursorBounds {
  /** The durable end: no cursor may pass it. */
  durableOffset(): number;
  /** The lowest offset still in the journal. */
  firstOffset(): number;
  /** Throws NOT_RECORD_START (or OFFSET_SKIPPED) unless a record starts at `offset` (first <= offset < durable end). */
  checkRecordStart(offset: number): void;
  /** The clock for committedAt. */
  now(): number;
}

export function checkCursorName(name: unknown): string {
  if (typeof name !== 'string') throw argTypeError(`cursor name must be a string, got ${describe(name)}`);
  if (!NAME.test(name)) {
    throw argRangeError(
      `cursor name ${JSON.stringify(name.slice(0, 80))} is not valid: 1-64 characters of A-Z a-z 0-9 . _ -, starting with a letter or digit`,
      'ERR_INVALID_ARG_VALUE',
    );
  }
  return name;
}

function encodeCursor(offset: number, committedAt: number): Uint8Array {
  const b = new Uint8Array(FILE_BYTES);
  const v = new DataView(b.buffer);
  b.set(MAGIC, 0);
  v.setBigUint64(4, BigInt(offset), true);
  v.setBigUint64(12, BigInt(Math.max(0, Math.floor(committedAt))), true);
  v.setUint32(24, crc32c(b.subarray(0, 24)), true);
  return b;
}

/** The cursor in `bytes`, or a CORRUPTION error naming the file. */
export function decodeCursor(name: string, bytes: Uint8Array): CursorInfo {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const bad = (why: string) => new StemeError('CORRUPTION', `cursor file ${CURSOR_DIR}/${name}${SUFFIX} is damaged: ${why}`);
  if (bytes.length !== FILE_BYTES) throw bad(`${bytes.length} bytes, expected ${FILE_BYTES}`);
  if (MAGIC.some((m, i) => bytes[i] !== m)) throw bad('bad magic');
  if (v.getUint32(24, true) !== crc32c(bytes.subarray(0, 24))) throw bad('crc32c mismatch');
  return { name, offset: Number(v.getBigUint64(4, true)), committedAt: Number(v.getBigUint64(12, true)) };
}

/** The cursors of one journal directory. Reached as `journal.cursors` or `reader.cursors`. */
export class Cursors {
  readonly #dir: string;
  #dirMade = false;
  /**
   * A failed fsync of the cursor directory: later commits could be reported durable by an
   * fsync that lost this one's entries (rule 8), so every later commit and delete rejects
   * with it until the journal (or reader) is reopened.
   */
  #failed: Error | null = null;

  async #guard<T>(p: Promise<T>): Promise<T> {
    try {
      return await p;
    } catch (err) {
      if (isDirSyncFailure(err)) this.#failed = err as Error;
      throw err;
    }
  }
  /** Commits of one name in this process, one after another (the file is read-compared-replaced). */
  readonly #chains = new Map<string, Promise<unknown>>();

  /** @internal */
  constructor(
    /** @internal */ readonly io: JournalIO,
    journalDir: string,
    /** @internal */ readonly bounds: CursorBounds,
  ) {
    this.#dir = join(journalDir, CURSOR_DIR);
  }

  /**
   * Commits `offset` as cursor `name`'s position, durably (resolves after the rename
   * and the directory fsync). `offset` must be a record boundary (or the durable end)
   * at or below the durable end; below the committed offset only with allowBackward.
   */
  commit(name: string, offset: number, options?: CommitOptions): Promise<CursorInfo> {
    try {
      checkCursorName(name);
      checkNonNegativeInteger(offset, 'offset');
      const o = checkOptions(options, COMMIT_OPTION_KEYS);
      if (o.allowBackward !== undefined && typeof o.allowBackward !== 'boolean')
        throw argTypeError(`options.allowBackward must be a boolean, got ${describe(o.allowBackward)}`);
      const run = (this.#chains.get(name) ?? Promise.resolve()).catch(() => {}).then(() => this.#commit(name, offset, o.allowBackward === true));
      this.#chains.set(name, run);
      void run
        .finally(() => {
          if (this.#chains.get(name) === run) this.#chains.delete(name);
        })
        .catch(() => {});
      return run;
    } catch (err) {
      return Promise.reject(err);
    }
  }

  async #commit(name: string, offset: number, allowBackward: boolean): Promise<CursorInfo> {
    if (this.#failed) throw this.#failed;
    this.#checkOffset(offset);
    const current = this.get(name);
    if (current && offset < current.offset && !allowBackward) {
      throw new StemeError(
        'CURSOR_BACKWARD',
        `cursor ${name} is at ${current.offset}; ${offset} would move it backward (pass { allowBackward: true } to rewind on purpose)`,
      );
    }
    const committedAt = this.bounds.now();
    await this.#ensureDir();
    await this.#guard(writeDurableFile(this.io, this.#dir, name + SUFFIX, encodeCursor(offset, committedAt)));
    return { name, offset, committedAt };
  }

  /** Cursor `name`, or null if none was committed. A damaged file throws CORRUPTION. */
  get(name: string): CursorInfo | null {
    checkCursorName(name);
    const bytes = readSmallFile(this.io, join(this.#dir, name + SUFFIX), FILE_BYTES + 1);
    return bytes === null ? null : decodeCursor(name, bytes);
  }

  /** Every cursor, by name. A damaged cursor file throws CORRUPTION. */
  list(): CursorInfo[] {
    return this.listChecked().map((c) => {
      if (c.damaged) throw c.damaged;
      return c.info;
    });
  }

  /**
   * Every cursor, a damaged file reported rather than thrown (retention and stats() must
   * not stop at one; a damaged cursor holds retention at offset 0, the safe side). @internal
   */
  listChecked(): Array<{ info: CursorInfo; damaged: Error | null }> {
    let names: string[];
    try {
      names = this.io.readdir(this.#dir);
    } catch (err) {
      if ((err as { code?: unknown }).code === 'ENOENT') return [];
      throw err;
    }
    const out: Array<{ info: CursorInfo; damaged: Error | null }> = [];
    for (const file of names.sort()) {
      if (!file.endsWith(SUFFIX)) continue;
      const name = file.slice(0, -SUFFIX.length);
      if (!NAME.test(name)) continue;
      try {
        const c = this.get(name); // null: deleted since the listing
        if (c) out.push({ info: c, damaged: null });
      } catch (err) {
        if ((err as { code?: unknown }).code !== 'CORRUPTION') throw err;
        out.push({ info: { name, offset: 0, committedAt: 0 }, damaged: err as Error });
      }
    }
    return out;
  }

  /** Deletes cursor `name` durably (it no longer holds retention back); false if there was none. */
  async delete(name: string): Promise<boolean> {
    checkCursorName(name);
    await (this.#chains.get(name) ?? Promise.resolve()).catch(() => {});
    if (this.#failed) throw this.#failed;
    return this.#guard(unlinkDurableFile(this.io, this.#dir, name + SUFFIX));
  }

  /** The directory of the cursor files (for temporaries' cleanup). @internal */
  get dir(): string {
    return this.#dir;
  }

  /**
   * Offsets are checked cheaply: at or below the durable end (CURSOR_PAST_END), not
   * below the first segment (OFFSET_CLEANED), and a record boundary, by reading and
   * verifying the one record there (its CRC is bound to its offset, so a match means
   * a record starts there; else NOT_RECORD_START). The durable end needs no read.
   */
  #checkOffset(offset: number): void {
    const end = this.bounds.durableOffset();
    if (offset > end)
      throw Object.assign(argRangeError(`cursor offset ${offset} is beyond the durable end of the journal (${end})`), { code: 'CURSOR_PAST_END' });
    if (offset === end) return;
    const first = this.bounds.firstOffset();
    if (offset < first) throw new OffsetError('OFFSET_CLEANED', `cursor offset ${offset} is below the first offset still in the journal (${first})`);
    this.bounds.checkRecordStart(offset);
  }

  async #ensureDir(): Promise<void> {
    if (this.#dirMade) return;
    const existed = this.io.exists(this.#dir);
    this.io.mkdirp(this.#dir);
    // The new directory's own entry must be durable before a cursor file in it is called committed.
    if (!existed) await this.io.fsyncDir(join(this.#dir, '..'));
    this.#dirMade = true;
  }
}
