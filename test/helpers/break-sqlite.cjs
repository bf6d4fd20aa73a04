// Preloaded with --require: makes SQLite drivers unusable as a user's machine would.
//   BREAK_SQLITE=missing  better-sqlite3 not installed (resolution fails)
//   BREAK_SQLITE=unbuilt  installed, binary never built (install script skipped: --ignore-scripts, pnpm 10):
//                         better-sqlite3's `bindings` lookup fails as it does then
// Either way node:sqlite is made unavailable too (as on Node < 22.13), so the
// test means the same on every Node.
const Module = require('module');
const mode = process.env.BREAK_SQLITE;
const resolve = Module._resolveFilename;
Module._resolveFilename = function (request, parent, ...rest) {
  if (mode === 'missing' && request === 'better-sqlite3') {
    throw Object.assign(new Error(`Cannot find module 'better-sqlite3' (simulated)`), { code: 'MODULE_NOT_FOUND' });
  }
  if (request === 'node:sqlite') {
    throw Object.assign(new Error('No such built-in module: node:sqlite (simulated)'), { code: 'ERR_UNKNOWN_BUILTIN_MODULE' });
  }
  return resolve.call(this, request, parent, ...rest);
};
const load = Module._load;
Module._load = function (request, parent, ...rest) {
  if (mode === 'unbuilt' && request === 'bindings' && parent && /better-sqlite3/.test(parent.filename)) {
    return (name) => {
      throw new Error(`Could not locate the bindings file. Tried:\n → .../better-sqlite3/build/Release/${name} (simulated)`);
    };
  }
  return load.call(this, request, parent, ...rest);
};
