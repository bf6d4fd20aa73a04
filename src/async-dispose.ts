/**
 * `Symbol.asyncDispose`, for `await using`. Node defines it as
 * Symbol.for('nodejs.asyncDispose') from 20.4 (18.18) on; older 20.x lack it,
 * so the lookup falls back to the same registered symbol instead of
 * patching the global.
 */
export const asyncDispose: typeof Symbol.asyncDispose =
  (Symbol as { asyncDispose?: typeof Symbol.asyncDispose }).asyncDispose ?? (Symbol.for('nodejs.asyncDispose') as typeof Symbol.asyncDispose);
