// Preloaded with --require: makes node-gyp-build fail as if no binary existed.
const Module = require('module');
const load = Module._load;
Module._load = function (request, ...rest) {
  if (request === 'node-gyp-build') {
    const fail = () => {
      throw new Error('No native build was found for platform=test (simulated)');
    };
    return Object.assign(fail, { path: fail, resolve: fail });
  }
  return load.call(this, request, ...rest);
};
