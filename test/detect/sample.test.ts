import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { parse } from 'yaml';
import { BUNDLED_RULES_DIR } from '../../src/app/runtime.js';
import { detect, scratch } from './helpers.js';

const s = scratch();
after(() => s.done());
const SAMPLE = new URL('../../fixtures/sample/', import.meta.url).pathname;
const logs = [0, 1].map((r) => `${SAMPLE}openunison-orchestra-${r}.log`);

interface Expected {
  rule: string;
  dn: string | null;
  ip: string | null;
  count?: number;
}

test('the bundled sample raises exactly the alerts its annotations list, and no address-visibility warning', async () => {
  const expected = (parse(readFileSync(`${SAMPLE}expected-alerts.yaml`, 'utf8')) as { alerts: Expected[] }).alerts;
  const { alerts, warning } = await detect(s.path('sample.db'), BUNDLED_RULES_DIR, { files: logs });
  const key = (a: Expected) => `${a.rule} ${a.dn} ${a.ip}`;
  assert.deepEqual(alerts.map(key).sort(), expected.map(key).sort());
  for (const want of expected.filter((e) => e.count !== undefined)) {
    assert.equal(alerts.find((a) => key(a) === key(want))!.count, want.count, key(want));
  }
  assert.equal(warning, null);
});

test('the committed sample is exactly what its generator writes (deterministic)', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', `${SAMPLE}generate.ts`, s.dir], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  for (const n of [0, 1]) {
    const name = `openunison-orchestra-${n}.log`;
    assert.ok(readFileSync(s.path(name)).equals(readFileSync(`${SAMPLE}${name}`)), `${name} differs from a fresh generation`);
  }
});
