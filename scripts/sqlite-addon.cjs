// Stands in for the `bindings` package inside the CLI's bundle (scripts/build.mjs), where
// better-sqlite3's JavaScript is bundled and compiled from the code cache: `bindings` finds a
// native addon from the stack trace of its caller, which in a bundle is the bundle, and tries
// three paths (each a failed require) before node-gyp's build/Release. This loads the addon
// from the installed better-sqlite3 package, where its install put it.
'use strict';
const { createRequire } = require('node:module');
const { dirname, join } = require('node:path');

module.exports = function loadAddon(name) {
  // Resolved from the bundle's own file at run time (esbuild leaves a created require alone).
  const runtime = createRequire(__filename);
  const pkg = dirname(runtime.resolve('better-sqlite3/package.json'));
  let first;
  for (const dir of ['build/Release', 'build/Debug', 'build', 'out/Release', 'Release']) {
    try {
      return runtime(join(pkg, dir, name));
    } catch (err) {
      if (err.code !== 'MODULE_NOT_FOUND') throw err;
      first ??= err;
    }
  }
  throw new Error(`better-sqlite3's native addon ${name} is not in ${pkg} (build/Release): reinstall better-sqlite3 (npm rebuild better-sqlite3). ${first.message}`);
};
