#!/usr/bin/env node
// Runs the compiled build, dist/cli/main.cjs: the npm package and the container image ship
// dist/ and no TypeScript. In a development checkout (src/ beside dist/), a build older than
// a source file is refused rather than run, so nobody (no test either) runs stale code:
// `npm run build` makes it again, and `npm test` and `npm install` build it first.
// CommonJS (bin/package.json says so): node takes about 10 ms longer to start an ES module as
// its entry point, at every command.
'use strict';
const { existsSync, readdirSync, readFileSync, statSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const { createRequire } = Module;
const { dirname, join, relative } = require('node:path');
const vm = require('node:vm');

const root = join(__dirname, '..');
const entry = join(root, 'dist', 'cli', 'main.cjs');
// Starts the ingest worker's thread before the CLI's bundle is compiled (cli/early-start.ts).
const early = join(root, 'dist', 'cli', 'early-start.cjs');
const src = join(root, 'src');

function refuse(why) {
  process.stderr.write(`ouwatch: ${why}: run \`npm run build\` in ${root}\n`);
  process.exit(1);
}

/**
 * The first TypeScript source edited after the build, if any. A walk of its own: Node 20's
 * `readdirSync(…, { recursive: true })` took 15 ms for src/'s 280 files, this one 3 ms, at
 * every start of a checkout's CLI (the tests and the benchmark start it hundreds of times).
 */
function newerSource(builtAt, dir = src) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    // Not path.join: normalising each of 280 paths took as long as statting them.
    const path = `${dir}/${entry.name}`;
    const found = entry.isDirectory() ? newerSource(builtAt, path) : entry.name.endsWith('.ts') && statSync(path).mtimeMs > builtAt ? path : undefined;
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * V8's code cache of `bundle` (its compiled functions, written by the build after a sample
 * replay: scripts/build.mjs), or undefined when there is none or it is older than the bundle.
 * V8 itself refuses a cache made by another version of node or with other flags: the bundle
 * is then compiled as usual.
 */
function codeCacheOf(bundle, builtAt) {
  const file = `${bundle}.v8cache`;
  try {
    return statSync(file).mtimeMs >= builtAt ? readFileSync(file) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Runs the CommonJS bundle as node's loader would, compiled from its code cache when it has
 * one: a replay of a small file spent a third of its time compiling the CLI's modules.
 * OUWATCH_CODE_CACHE=write writes the cache at exit (the build's sample replay);
 * OUWATCH_CODE_CACHE=report says on stderr whether V8 took it.
 */
function runBundle(bundle, builtAt) {
  const mode = process.env.OUWATCH_CODE_CACHE;
  const cachedData = mode === 'write' ? undefined : codeCacheOf(bundle, builtAt);
  const script = new vm.Script(Module.wrap(readFileSync(bundle, 'utf8')), { filename: bundle, cachedData });
  if (mode === 'report') process.stderr.write(`code cache: ${cachedData === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'used'}\n`);
  if (mode === 'write') {
    process.once('exit', () => {
      try {
        writeFileSync(`${bundle}.v8cache`, script.createCachedData());
      } catch (err) {
        process.stderr.write(`ouwatch: the code cache was not written: ${err.message}\n`);
        process.exitCode = 1;
      }
    });
  }
  const module = new Module(bundle);
  module.filename = bundle;
  module.paths = Module._nodeModulePaths(dirname(bundle));
  script.runInThisContext()(module.exports, createRequire(bundle), module, bundle, dirname(bundle));
}

for (const built of [entry, early]) {
  if (!existsSync(built)) refuse(`${relative(root, built)} is missing (the TypeScript has not been compiled)`);
}
const builtAt = statSync(entry).mtimeMs;
if (existsSync(src)) {
  const edited = newerSource(builtAt);
  if (edited !== undefined) refuse(`dist/ is older than ${relative(root, edited)}`);
}
// `--version` alone is the package's version (main.ts gives commander the same): it needs
// none of the CLI, whose bundle and code cache take longer to read than node takes to start.
const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  process.stdout.write(`${JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version}\n`);
} else {
  // A command that reads logs starts its ingest worker's thread first, from a bundle of its
  // own: the thread then loads while this one compiles and starts the CLI.
  require(early).startEarly(args);
  runBundle(entry, builtAt);
}
