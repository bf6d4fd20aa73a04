/**
 * The wasm fallback is never silent: when the addon could not load (and the
 * fallback was not chosen with STEMEDB_BACKEND=wasm), the first use of the
 * package emits one process warning saying why and how to get the native backend.
 */
import { installedByPnpm } from '../package-manager.js';

const WASM_FALLBACK_WARNING = { type: 'StemedbWarning', code: 'STEMEDB_WASM_FALLBACK' } as const;

/** The command that builds the addon for this install. */
function nativeFixCommand(): string {
  return installedByPnpm() ? 'pnpm rebuild stemedb' : 'npm rebuild stemedb --foreground-scripts';
}

export function warnWasmFallback(reason: string): void {
  if (process.env.STEMEDB_BACKEND === 'wasm') return; // chosen on purpose
  process.emitWarning(
    `the native addon did not load (${reason}), so stemedb runs on its WebAssembly backend: same results and on-disk format, slower. ` +
      `To get the native backend, build the addon with \`${nativeFixCommand()}\` (needs Python 3, make and a C++17 compiler; see stemedb's docs/install.md). ` +
      'To choose the WebAssembly backend and silence this warning, set STEMEDB_BACKEND=wasm.',
    WASM_FALLBACK_WARNING,
  );
}
