/**
 * A structural check of a MessagePack body, run before msgpackr builds values.
 *
 * msgpackr is lenient where the ingestor must not be: it replaces invalid
 * UTF-8 with U+FFFD (or decodes it to other characters), rounds 64-bit
 * integers beyond 2^53 to the nearest double, and reads the never-used byte
 * 0xc1 as a value. Any of those would store data that differs from what was
 * appended, under the hash of what was appended. This walk refuses them, and
 * classifies truncation and trailing bytes itself, in one linear pass with an
 * explicit stack (no recursion, so no stack overflow on deep nesting).
 */
import { DecodeError } from './errors.js';

/** Deeper than any record (body array -> evidence array) by far; deeper is refused. */
const MAX_NESTING = 32;

// fatal: throws on invalid UTF-8 (overlongs, surrogates, > U+10FFFF, cut-off sequences).
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Throws DecodeError unless `p[start..]` holds exactly one MessagePack value
 * whose strings are valid UTF-8 and whose 64-bit integers are safe integers:
 * 'TRUNCATED' (ends inside a value), 'OVERSIZED' (bytes after it) or
 * 'MALFORMED' (0xc1, invalid UTF-8, an integer beyond +-(2^53 - 1), nesting
 * deeper than MAX_NESTING). Extension values are skipped, not interpreted.
 */
export function checkMessagePack(p: Uint8Array, start: number): void {
  const end = p.length;
  const view = new DataView(p.buffer, p.byteOffset, p.byteLength);
  const outer: number[] = []; // values still to read in each enclosing container
  let remaining = 1; // values still to read at this level
  let pos = start;
  for (;;) {
    if (remaining === 0) {
      if (outer.length === 0) break;
      remaining = outer.pop()!;
      continue;
    }
    if (pos >= end) throw truncated();
    remaining--;
    const at = pos;
    const b = p[pos++]!;
    let children = 0;
    if (b <= 0x7f || b >= 0xe0) continue; // fixint
    if (b <= 0x8f)
      children = (b & 0x0f) * 2; // fixmap
    else if (b <= 0x9f)
      children = b & 0x0f; // fixarray
    else if (b <= 0xbf)
      pos = text(p, pos, b & 0x1f, at); // fixstr
    else {
      switch (b) {
        case 0xc0:
        case 0xc2:
        case 0xc3:
          break; // nil, false, true
        case 0xc1:
          throw new DecodeError('MALFORMED', `payload byte ${at} is 0xc1, which MessagePack never uses`);
        case 0xc4:
          pos = skip(end, pos + 1, length(p, view, pos, 1));
          break; // bin 8
        case 0xc5:
          pos = skip(end, pos + 2, length(p, view, pos, 2));
          break;
        case 0xc6:
          pos = skip(end, pos + 4, length(p, view, pos, 4));
          break;
        case 0xc7:
          pos = skip(end, pos + 2, length(p, view, pos, 1));
          break; // ext 8: length, type, data
        case 0xc8:
          pos = skip(end, pos + 3, length(p, view, pos, 2));
          break;
        case 0xc9:
          pos = skip(end, pos + 5, length(p, view, pos, 4));
          break;
        case 0xca:
        case 0xce:
        case 0xd2:
          pos = skip(end, pos, 4);
          break; // float 32, uint 32, int 32
        case 0xcb:
          pos = skip(end, pos, 8);
          break; // float 64: any double is exact
        case 0xcc:
        case 0xd0:
          pos = skip(end, pos, 1);
          break;
        case 0xcd:
        case 0xd1:
          pos = skip(end, pos, 2);
          break;
        case 0xcf:
        case 0xd3: {
          // uint 64, int 64
          skip(end, pos, 8);
          const hi = b === 0xcf ? view.getUint32(pos) : view.getInt32(pos);
          // Exact for safe values; an unsafe one cannot round into the safe range.
          const value = hi * 4294967296 + view.getUint32(pos + 4);
          if (!Number.isSafeInteger(value)) {
            throw new DecodeError('MALFORMED', `integer at payload byte ${at} is beyond +-(2^53 - 1) and would not be stored exactly`);
          }
          pos += 8;
          break;
        }
        case 0xd4:
          pos = skip(end, pos, 2);
          break; // fixext 1..16: type, data
        case 0xd5:
          pos = skip(end, pos, 3);
          break;
        case 0xd6:
          pos = skip(end, pos, 5);
          break;
        case 0xd7:
          pos = skip(end, pos, 9);
          break;
        case 0xd8:
          pos = skip(end, pos, 17);
          break;
        case 0xd9:
          pos = text(p, pos + 1, length(p, view, pos, 1), at);
          break; // str 8
        case 0xda:
          pos = text(p, pos + 2, length(p, view, pos, 2), at);
          break;
        case 0xdb:
          pos = text(p, pos + 4, length(p, view, pos, 4), at);
          break;
        case 0xdc:
          children = length(p, view, pos, 2);
          pos += 2;
          break; // array 16
        case 0xdd:
          children = length(p, view, pos, 4);
          pos += 4;
          break;
        case 0xde:
          children = length(p, view, pos, 2) * 2;
          pos += 2;
          break; // map 16
        default:
          children = length(p, view, pos, 4) * 2;
          pos += 4;
          break; // 0xdf map 32
      }
    }
    if (children > 0) {
      // Every value takes at least one byte: a count beyond the bytes left is a cut-off body.
      if (children > end - pos) throw truncated();
      if (outer.length >= MAX_NESTING) throw new DecodeError('MALFORMED', `record body nests too deeply (more than ${MAX_NESTING} levels)`);
      outer.push(remaining);
      remaining = children;
    }
  }
  if (pos < end) throw new DecodeError('OVERSIZED', `${end - pos} bytes left over after the record body`);
}

function truncated(): DecodeError {
  return new DecodeError('TRUNCATED', 'record body ends inside a value');
}

/** The big-endian length of `size` bytes at `pos`. */
function length(p: Uint8Array, view: DataView, pos: number, size: 1 | 2 | 4): number {
  if (pos + size > p.length) throw truncated();
  return size === 1 ? p[pos]! : size === 2 ? view.getUint16(pos) : view.getUint32(pos);
}

/** The position after `n` more bytes from `pos`, which must all be there. */
function skip(end: number, pos: number, n: number): number {
  if (n > end - pos) throw truncated();
  return pos + n;
}

/** Checks that the `n` string bytes at `pos` are there and are valid UTF-8; returns the end. */
function text(p: Uint8Array, pos: number, n: number, at: number): number {
  const stop = skip(p.length, pos, n);
  for (let i = pos; i < stop; i++) {
    if (p[i]! < 0x80) continue;
    try {
      utf8.decode(p.subarray(pos, stop));
    } catch (cause) {
      throw new DecodeError('MALFORMED', `string at payload byte ${at} is not valid UTF-8 (it would not be stored as written)`, { cause });
    }
    break;
  }
  return stop;
}
