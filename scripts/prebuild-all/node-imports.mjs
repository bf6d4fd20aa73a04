// What the addon links against on Windows: node.exe exports the N-API and the
// libuv functions, and a PE DLL must name the module each import comes from. The
// import library is made by `zig dlltool` from a .def listing every napi_* /
// node_api_* function declared in Node's headers and every uv_* function the
// addon's sources call (node-api-headers' own .def files lack the uv_* ones).
import { readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

function sourcesUnder(dir) {
  const out = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...sourcesUnder(p));
    else if (/\.(cc|h)$/.test(e.name)) out.push(p);
  }
  return out;
}

/** Writes node.def and returns the symbol list. */
export function writeNodeDef(nodeInclude, nativeDir, defPath) {
  const names = new Set();
  for (const h of ['js_native_api.h', 'node_api.h']) {
    for (const m of readFileSync(join(nodeInclude, h), 'utf8').matchAll(/\b((?:napi|node_api)_[a-z0-9_]+)\s*\(/g)) names.add(m[1]);
  }
  for (const f of sourcesUnder(nativeDir)) {
    for (const m of readFileSync(f, 'utf8').matchAll(/\b(uv_[a-z0-9_]+)\s*\(/g)) names.add(m[1]);
  }
  const sorted = [...names].sort();
  writeFileSync(defPath, `LIBRARY node.exe\nEXPORTS\n${sorted.map((n) => `  ${n}`).join('\n')}\n`);
  return sorted;
}
