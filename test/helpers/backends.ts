/** Both hash backends side by side in one process, whatever STEMEDB_BACKEND says. */
import { createRequire } from 'node:module';
import { packageRoot, type NativeBinding } from '../../src/native/binding.js';
import { createNativeHash } from '../../src/hash/native.js';
import { createWasmHash } from '../../src/hash/wasm.js';

const require = createRequire(import.meta.url);

/** The addon, loaded directly (throws if it is not built: these tests need it). */
export function nativeBinding(): NativeBinding {
  return (require('node-gyp-build') as (dir: string) => NativeBinding)(packageRoot);
}

export const native = createNativeHash(nativeBinding());
export const wasm = createWasmHash();
await wasm.ready(); // compare against hash-wasm, not the JavaScript paths it starts on
