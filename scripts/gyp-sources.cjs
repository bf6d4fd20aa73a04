// Prints the addon's C++ sources for binding.gyp: every .cc under native/.
// A glob keeps binding.gyp from drifting as files are split into modules.
'use strict';
const fs = require('fs');
const path = require('path');
const root = path.join(__dirname, '..');
const out = [];
(function walk(dir) {
  for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const rel = dir + '/' + entry.name;
    if (entry.isDirectory()) walk(rel);
    else if (entry.name.endsWith('.cc')) out.push(rel);
  }
})('native');
process.stdout.write(out.sort().join(' '));
