/** Number formatting and small statistics shared by the benches. */

/** Rounds to `digits` significant digits (keeps integers of more digits whole). */
export function sig(x: number, digits = 3): number {
  if (!Number.isFinite(x) || x === 0) return x;
  const mag = Math.floor(Math.log10(Math.abs(x)));
  if (mag >= digits - 1) return Math.round(x);
  const f = 10 ** (digits - 1 - mag);
  return Math.round(x * f) / f;
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** "1 KiB", "64 KiB", "1 MiB", "128 B". */
export function bytesLabel(n: number): string {
  if (n >= 2 ** 30 && n % 2 ** 30 === 0) return `${n / 2 ** 30} GiB`;
  if (n >= 2 ** 20 && n % 2 ** 20 === 0) return `${n / 2 ** 20} MiB`;
  if (n >= 1024 && n % 1024 === 0) return `${n / 1024} KiB`;
  return `${n} B`;
}

/** A number for display: thousands separators, at most 3 significant digits after the point. */
export function show(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const abs = Math.abs(x);
  if (abs >= 1000) return Math.round(x).toLocaleString('en-US');
  return String(sig(x, 3));
}

/** `a / b` as "2.41x". */
export function ratio(a: number, b: number): string {
  return `${sig(a / b, 3)}x`;
}

/** Bytes per nanosecond is GB/s (decimal). */
export function gbps(bytes: number, ns: number): number {
  return bytes / ns;
}

/** A number with a k / M / G suffix and `digits` significant digits: "296k", "1.9M", "2.79". */
export function compact(x: number, digits = 2): string {
  const a = Math.abs(x);
  if (a >= 1e9) return `${sig(x / 1e9, digits)}G`;
  if (a >= 1e6) return `${sig(x / 1e6, digits)}M`;
  if (a >= 1e3) return `${sig(x / 1e3, digits)}k`;
  return String(sig(x, digits));
}

/** Compact "min–max" of a set of values, e.g. "1.2M–3.3M" or "560–5.3k". */
export function spread(xs: readonly number[]): string {
  if (xs.length === 0) return '—';
  return `${compact(Math.min(...xs))}–${compact(Math.max(...xs))}`;
}
