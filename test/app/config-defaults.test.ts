import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { configSchema, loadConfig, PARSE_ONCE } from '../../src/app/config.js';
import { PREBUILT_DEFAULTS_FILE } from '../../src/app/config-defaults.js';
import { REPO } from '../helpers/cli.js';

/**
 * A command run without a configuration file takes the defaults the build computed
 * (dist/config-defaults.json) instead of building the schemas: they must be exactly what the
 * schema gives an empty file (npm test builds first, so a stale file fails here).
 */

test("the build's defaults are what the configuration schema gives an empty file, value for value", () => {
  const built = JSON.parse(readFileSync(join(REPO, 'dist', PREBUILT_DEFAULTS_FILE), 'utf8')) as unknown;
  const parsed = configSchema.parse({}, PARSE_ONCE);
  assert.deepStrictEqual(built, parsed);
  // Nothing the schema gives is lost in JSON (no class instances, no undefined beside a key).
  assert.deepStrictEqual(JSON.parse(JSON.stringify(parsed)), parsed);
});

test('loadConfig without a file gives those defaults, a fresh copy each time (callers apply their flags to it)', () => {
  const first = loadConfig();
  assert.deepStrictEqual(first, configSchema.parse({}, PARSE_ONCE));
  first.store.path = '/elsewhere.db';
  first.detect.organisation.networks.push('10.0.0.0/8');
  const second = loadConfig();
  assert.equal(second.store.path, './ouwatch.db');
  assert.deepEqual(second.detect.organisation.networks, []);
});
