import assert from 'node:assert/strict';
import { existsSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { loaderSource, useCodeCache } from '../../../src/pipeline/worker/code-cache-loader.js';
import { tempDir } from '../../helpers/tmp.js';

// The ingest thread's bundle starts compiled from V8's code cache, which the build's sample
// replay writes: the loader must run the bundle as node's CommonJS loader would (its own
// require, module, __filename and __dirname), write the cache when asked, and use it after.

/** A small CommonJS "bundle" that requires a file beside it and reports what it sees. */
function bundleIn(dir: string): string {
  writeFileSync(join(dir, 'beside.cjs'), 'module.exports = 42;\n');
  const bundle = join(dir, 'bundle.cjs');
  writeFileSync(
    bundle,
    `const { parentPort } = require('node:worker_threads');
const beside = require('./beside.cjs');
function work(n) { let s = 0; for (let i = 0; i < n; i++) s += i; return s; }
module.exports.answer = beside;
parentPort.postMessage({ beside, file: __filename, dir: __dirname, exportsSame: module.exports === exports, sum: work(10) });
globalThis[Symbol.for('ouwatch.write-ingest-code-cache')]?.();
`,
  );
  return bundle;
}

/** Runs the loader in a thread; what the bundle posted and what the thread wrote on stderr. */
function runLoader(bundle: string, mode: string | undefined): Promise<{ message: Record<string, unknown>; stderr: string }> {
  return new Promise((resolve, reject) => {
    const env = { ...process.env, OUWATCH_CODE_CACHE: mode };
    if (mode === undefined) delete env.OUWATCH_CODE_CACHE;
    const worker = new Worker(loaderSource(bundle), { eval: true, env, stderr: true });
    let stderr = '';
    let message: Record<string, unknown> | null = null;
    worker.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    worker.on('message', (m: Record<string, unknown>) => (message = m));
    worker.on('error', reject);
    worker.on('exit', () => (message === null ? reject(new Error(`no message; stderr: ${stderr}`)) : resolve({ message, stderr })));
  });
}

describe('the ingest thread started from its code cache', () => {
  test('the loader runs the bundle as a CommonJS module, writes the cache in write mode, and uses it after', async () => {
    const dir = tempDir();
    const bundle = bundleIn(dir);
    const expected = { beside: 42, file: bundle, dir, exportsSame: true, sum: 45 };

    const first = await runLoader(bundle, 'report');
    assert.deepEqual(first.message, expected);
    assert.match(first.stderr, /^ingest code cache: none$/m, 'no cache yet');

    const writing = await runLoader(bundle, 'write');
    assert.deepEqual(writing.message, expected);
    assert.ok(existsSync(`${bundle}.v8cache`), 'the thread wrote its cache');

    const cached = await runLoader(bundle, 'report');
    assert.deepEqual(cached.message, expected);
    assert.match(cached.stderr, /^ingest code cache: used$/m);
  });

  test('a cache is used only when it is at least as new as the bundle; write mode always goes through the loader', () => {
    const dir = tempDir();
    const bundle = bundleIn(dir);
    assert.equal(useCodeCache(bundle, undefined), false, 'no cache');
    assert.equal(useCodeCache(bundle, 'write'), true);
    writeFileSync(`${bundle}.v8cache`, 'stale');
    utimesSync(`${bundle}.v8cache`, new Date(1_000_000), new Date(1_000_000));
    assert.equal(useCodeCache(bundle, undefined), false, 'a cache older than the bundle (a rebuild that wrote none)');
    utimesSync(`${bundle}.v8cache`, new Date(), new Date(Date.now() + 1000));
    assert.equal(useCodeCache(bundle, undefined), true);
  });

  test('a cache V8 refuses (damaged, another node) costs a normal compile, nothing else', async () => {
    const dir = tempDir();
    const bundle = bundleIn(dir);
    writeFileSync(`${bundle}.v8cache`, Buffer.alloc(4096, 7));
    const r = await runLoader(bundle, 'report');
    assert.equal(r.message.sum, 45);
    assert.match(r.stderr, /^ingest code cache: rejected$/m);
  });
});
