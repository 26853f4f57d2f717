import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { assemble } from '../../src/app/runtime.js';
import { ConfigError, loadConfig } from '../../src/app/config.js';
import { replay } from '../../src/pipeline/replay.js';
import { CN, RU, SEC, T0, allAlerts, auFail, keys, rulesDir, scratch } from './helpers.js';

const s = scratch();
after(() => s.done());

test('reloadRules swaps in edited rules; a bad edit throws ConfigError and the old rules keep working', async () => {
  const dir = rulesDir(s.dir, ['auth-failure-burst']);
  const file = `${dir}/auth-failure-burst.yaml`;
  const config = loadConfig();
  config.store.path = s.path('reload.db');
  config.detect.rulesDir = dir;
  const rt = assemble(config);
  try {
    const log = s.path('reload.log');
    // Five failures: quiet under the shipped threshold of 10.
    writeFileSync(log, Array.from({ length: 5 }, (_, i) => auFail(T0 + i * SEC, CN)).join('\n') + '\n');
    await replay([log], rt.pipeline);
    assert.deepEqual(allAlerts(rt), []);

    writeFileSync(file, readFileSync(file, 'utf8').replace('threshold: 10', 'threshold: 3'));
    const loaded = rt.reloadRules();
    assert.deepEqual(loaded.map((r) => r.params), [{ threshold: 3, window: 300_000 }]);
    assert.deepEqual(rt.detection.rules.map((r) => r.params), [{ threshold: 3, window: 300_000 }]);
    appendFileSync(log, Array.from({ length: 3 }, (_, i) => auFail(T0 + 60 * SEC + i * SEC, RU)).join('\n') + '\n');
    await replay([log], rt.pipeline);
    assert.deepEqual(keys(allAlerts(rt)), [`auth-failure-burst - ${RU}`]);

    writeFileSync(file, readFileSync(file, 'utf8').replace('threshold: 3', 'threshold: three'));
    assert.throws(() => rt.reloadRules(), (e: unknown) => e instanceof ConfigError && e.file === file && /params\.threshold: Invalid input: expected number/.test(e.message));
    assert.deepEqual(rt.detection.rules.map((r) => r.params), [{ threshold: 3, window: 300_000 }]);
    appendFileSync(log, Array.from({ length: 3 }, (_, i) => auFail(T0 + 120 * SEC + i * SEC, '81.2.69.142')).join('\n') + '\n');
    await replay([log], rt.pipeline);
    assert.deepEqual(keys(allAlerts(rt)), [`auth-failure-burst - ${RU}`, 'auth-failure-burst - 81.2.69.142']);
  } finally {
    await rt.close();
  }
});

test('rules reloaded while events are pending take over after the next commit, their state intact', async () => {
  const dir = rulesDir(s.path('two'), ['auth-failure-burst']);
  const file = `${dir}/auth-failure-burst.yaml`;
  const config = loadConfig();
  config.store.path = s.path('pending.db');
  config.detect.rulesDir = dir;
  const rt = assemble(config);
  try {
    const input = { origin: 'live', path: 'live', fingerprint: null, dev: null, ino: null, offset: 0, lineNo: 0, dirty: false, checkpointed: false };
    for (let i = 0; i < 4; i++) rt.pipeline.process(input, auFail(T0 + i * SEC, CN), i + 1, 0);
    writeFileSync(file, readFileSync(file, 'utf8').replace('threshold: 10', 'threshold: 5'));
    rt.reloadRules();
    // Still the old rules: their four-event window is not written yet.
    assert.deepEqual(rt.detection.rules.map((r) => (r.params as { threshold: number }).threshold), [10]);
    rt.pipeline.commit();
    assert.deepEqual(rt.detection.rules.map((r) => (r.params as { threshold: number }).threshold), [5]);
    rt.pipeline.process(input, auFail(T0 + 10 * SEC, CN), 5, 0);
    const { raised } = rt.pipeline.commit();
    assert.deepEqual(keys(raised), [`auth-failure-burst - ${CN}`]);
  } finally {
    await rt.close();
  }
});
