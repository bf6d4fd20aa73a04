/** uvu's assert has no async variant of throws(); this is it. */
import * as assert from 'uvu/assert';

type Matcher = RegExp | (new (...args: never[]) => Error) | ((e: Error & { code?: string }) => boolean);

export async function rejects(promise: Promise<unknown> | (() => Promise<unknown>), matcher?: Matcher, msg?: string): Promise<Error & { code?: string }> {
  let error: unknown;
  try {
    await (typeof promise === 'function' ? promise() : promise);
  } catch (e) {
    error = e;
  }
  if (error === undefined) assert.unreachable(msg ?? 'expected a rejection');
  const e = error as Error & { code?: string };
  if (matcher instanceof RegExp) assert.match(e.message, matcher, msg);
  else if (typeof matcher === 'function' && matcher.prototype instanceof Error)
    assert.instance(e, matcher, msg ?? `expected ${matcher.name}, got ${e?.name}: ${e?.message}`);
  else if (typeof matcher === 'function') assert.ok((matcher as (e: Error) => boolean)(e), msg ?? `rejection did not match: ${e?.name}: ${e?.message}`);
  return e;
}

/** uvu has no per-test timeout: never let a test hang the file. */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms: ${what}`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}
