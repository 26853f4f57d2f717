import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { REPO } from '../helpers/cli.js';
import { DEFAULT_WEIGHT, dealShards, loadWeights, shardFiles, specFiles, weightOf } from '../helpers/shards.js';

// `npm test` runs the spec files in the shards of test/shards (see test/helpers/shards.ts):
// that must run every spec file, each exactly once.

test('every spec file is dealt to exactly one shard', () => {
  const files = specFiles();
  const count = shardFiles().length;
  const shards = dealShards(files, loadWeights(), count);
  assert.equal(shards.length, count);
  const dealt = shards.flat();
  assert.equal(new Set(dealt).size, dealt.length, 'no file in two shards');
  assert.deepEqual([...dealt].sort(), files);
  assert.ok(files.includes('test/architecture/shards.test.ts') && files.length > 100, `${files.length} spec files found`);
});

test('the heaviest files go first, each to the lightest shard; unknown files weigh the default', () => {
  const weights = { a: 10, b: 6, c: 5, d: 4, e: 1 };
  assert.deepEqual(dealShards(['a', 'b', 'c', 'd', 'e', 'new'], weights, 2), [['a', 'd'], ['b', 'c', 'e', 'new']]);
  assert.deepEqual(dealShards(['x', 'y'], {}, 3), [['x'], ['y'], []]);
  assert.equal(DEFAULT_WEIGHT > 0, true);
});

test('the weights name only spec files that exist (a renamed file is weighed again, not forgotten)', () => {
  const stale = Object.keys(loadWeights()).filter((f) => !existsSync(join(REPO, f)));
  assert.deepEqual(stale, []);
});

test('the shards end at about the same time: none carries more than a third over the mean weight', () => {
  const weights = loadWeights();
  const shards = dealShards(specFiles(), weights, shardFiles().length);
  const loads = shards.map((s) => s.reduce((sum, f) => sum + weightOf(weights, f), 0));
  const mean = loads.reduce((a, b) => a + b, 0) / loads.length;
  assert.ok(Math.max(...loads) <= mean * 4 / 3, `shard weights ${loads.map((l) => l.toFixed(0)).join(', ')}`);
});
