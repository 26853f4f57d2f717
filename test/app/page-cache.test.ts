import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadConfig } from '../../src/app/config.js';
import { createRuntime } from '../../src/app/runtime.js';
import { silentLog } from '../../src/core/log.js';
import { PAGE_CACHE_KIB } from '../../src/store/sqlite/database.js';
import { tempDir } from '../helpers/tmp.js';

// SQLite's page cache is process memory: a replay's large commits are faster with a large one,
// while a daemon committing a few hundred rows every 100 ms only grows its RSS with it.

async function cacheOf(commitIntervalMs: number | null): Promise<number> {
  const config = loadConfig();
  config.store.path = join(tempDir('page-cache'), 'ouwatch.db');
  const runtime = await createRuntime(config, { command: commitIntervalMs === null ? 'replay' : 'run', log: silentLog, commitIntervalMs });
  try {
    return runtime.db.pragma('cache_size', { simple: true }) as number;
  } finally {
    await runtime.close();
  }
}

test('a replay, committing in bulk, keeps the larger page cache', async () => {
  assert.equal(await cacheOf(null), -PAGE_CACHE_KIB.bulk);
});

test('a live run, committing small and often, keeps a smaller one', async () => {
  assert.equal(await cacheOf(100), -PAGE_CACHE_KIB.live);
  assert.ok(PAGE_CACHE_KIB.live < PAGE_CACHE_KIB.bulk);
});
