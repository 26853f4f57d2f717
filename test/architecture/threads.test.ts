import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { test } from 'node:test';
import { SRC, sourceFiles } from '../helpers/source-files.js';

// The process has two threads: the main thread and the ingest thread, started at launch
// (cli/early-start.ts through pipeline/worker-client.ts). A thread started later undoes the
// main thread's young-generation bound (cli/young-generation.ts): setting up the new thread's
// heap puts V8's growth factor back to 2 for the whole process, and the main thread's new
// space grew to 32 MiB (30-45 MB more at the peak of a replay of many users, measured with a
// store checkpoint thread started at its first checkpoint). A new thread is started from
// worker-client.ts, ahead of need, or this list grows with the reason it is safe.

const STARTS_THREADS: readonly string[] = ['pipeline/worker-client.ts'];

test('worker threads are started in one place only (a thread started late lets the main thread\'s young generation grow again)', () => {
  const found = sourceFiles()
    .filter((file) => /\bnew Worker\(/.test(readFileSync(file, 'utf8')))
    .map((file) => relative(SRC, file))
    .sort();
  assert.deepEqual(found, STARTS_THREADS);
});
