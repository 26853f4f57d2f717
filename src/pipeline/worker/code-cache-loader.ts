import { statSync } from 'node:fs';

/**
 * How the ingest thread's bundle is started compiled from V8's code cache, as the launcher
 * starts the CLI's (bin/ouwatch.js): the thread's first batch waited for its bundle to be
 * compiled and then for every function the parse runs to be compiled on first call. The cache
 * (`<bundle>.v8cache`) is written by the build's sample replay (`OUWATCH_CODE_CACHE=write`):
 * the thread writes it after each input it ends. A cache older than the bundle is not used;
 * one V8 refuses (another node version, other flags) costs nothing but its reading.
 * `OUWATCH_CODE_CACHE=report` says on stderr whether the thread used it.
 */
export const CODE_CACHE_HOOK = Symbol.for('ouwatch.write-ingest-code-cache');

/** Whether the thread should start through the loader: a cache to use, or one to write. */
export function useCodeCache(bundle: string, mode: string | undefined = process.env.OUWATCH_CODE_CACHE): boolean {
  if (mode === 'write') return true;
  try {
    return statSync(`${bundle}.v8cache`).mtimeMs >= statSync(bundle).mtimeMs;
  } catch {
    return false;
  }
}

/**
 * The thread's first code (a Worker's `eval`): runs the CommonJS bundle as node's loader
 * would, from its code cache; in write mode, leaves a hook the thread calls to write the cache.
 */
export function loaderSource(bundle: string): string {
  return `'use strict';
const { readFileSync, writeFileSync } = require('node:fs');
const Module = require('node:module');
const { dirname } = require('node:path');
const vm = require('node:vm');
const bundle = ${JSON.stringify(bundle)};
const write = process.env.OUWATCH_CODE_CACHE === 'write';
let cachedData;
if (!write) {
  try { cachedData = readFileSync(bundle + '.v8cache'); } catch { cachedData = undefined; }
}
const script = new vm.Script(Module.wrap(readFileSync(bundle, 'utf8')), { filename: bundle, cachedData });
if (process.env.OUWATCH_CODE_CACHE === 'report') process.stderr.write('ingest code cache: ' + (cachedData === undefined ? 'none' : script.cachedDataRejected ? 'rejected' : 'used') + '\\n');
if (write) globalThis[Symbol.for('ouwatch.write-ingest-code-cache')] = () => writeFileSync(bundle + '.v8cache', script.createCachedData());
const module = new Module(bundle);
module.filename = bundle;
module.paths = Module._nodeModulePaths(dirname(bundle));
script.runInThisContext()(module.exports, Module.createRequire(bundle), module, bundle, dirname(bundle));
`;
}
