import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { after, test } from 'node:test';
import { parse } from 'yaml';
import { BUNDLED_RULES_DIR } from '../../src/app/rule-dirs.js';
import { detect, scratch, storedIncidents } from './helpers.js';

const s = scratch();
after(() => s.done());
const SAMPLE = new URL('../../fixtures/sample/', import.meta.url).pathname;
const logs = [0, 1].map((r) => `${SAMPLE}openunison-orchestra-${r}.log`);

interface Expected {
  rule: string;
  dn: string | null;
  ip: string | null;
  count?: number;
  severity?: string;
}

interface ExpectedIncident {
  key: string;
  severity?: string;
  rules: string[];
}

const expected = parse(readFileSync(`${SAMPLE}expected-alerts.yaml`, 'utf8')) as { alerts: Expected[]; incidents: ExpectedIncident[] };

test('the bundled sample raises exactly the alerts its annotations list, opens exactly the incidents they list, and gives no address-visibility warning', async () => {
  const db = s.path('sample.db');
  const { alerts, warning } = await detect(db, BUNDLED_RULES_DIR, { files: logs });
  const key = (a: Expected) => `${a.rule} ${a.dn} ${a.ip}`;
  assert.deepEqual(alerts.map(key).sort(), expected.alerts.map(key).sort());
  for (const want of expected.alerts) {
    const got = alerts.find((a) => key(a) === key(want))!;
    if (want.count !== undefined) assert.equal(got.count, want.count, key(want));
    if (want.severity !== undefined) assert.equal(got.severity, want.severity, key(want));
  }
  assert.equal(warning, null);

  const incidents = storedIncidents(db);
  assert.deepEqual(incidents.map((i) => i.key).sort(), expected.incidents.map((i) => i.key).sort());
  for (const want of expected.incidents) {
    const got = incidents.find((i) => i.key === want.key)!;
    assert.deepEqual([...got.rules].sort(), [...want.rules].sort(), want.key);
    if (want.severity !== undefined) assert.equal(got.severity, want.severity, want.key);
    // An incident holds every alert of its key. Its risk is theirs summed per raising event
    // (alerts raised by one line share its log time): the riskiest in full, the others at half.
    const mine = alerts.filter((a) => (got.key.startsWith('dn:') ? `dn:${a.dn}` === got.key : a.dn === null && want.rules.includes(a.rule)));
    assert.deepEqual([...got.alertIds].sort(), mine.map((a) => a.id).sort(), want.key);
    const byEvent = new Map<string, number[]>();
    for (const a of mine) byEvent.set(a.time, [...(byEvent.get(a.time) ?? []), a.risk]);
    let risk = 0;
    for (const risks of byEvent.values()) {
      const max = Math.max(...risks);
      risk += max + (risks.reduce((n, r) => n + r, 0) - max) / 2;
    }
    assert.equal(got.risk, risk, want.key);
  }
  // mmosley's: the success from Moscow raised impossible travel (50), new country (40) and new
  // network (25): 82.5; then the replay (100), the grace burst (30) and the denied requests
  // (30). The trip back is a repeat of the trip's alert: no new risk.
  assert.equal(incidents.find((i) => i.key.startsWith('dn:uid=mmosley'))!.risk, 82.5 + 100 + 30 + 30);
});

test('the committed sample is exactly what its generator writes (deterministic)', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', `${SAMPLE}generate.ts`, s.dir], { encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  for (const n of [0, 1]) {
    const name = `openunison-orchestra-${n}.log`;
    assert.ok(readFileSync(s.path(name)).equals(readFileSync(`${SAMPLE}${name}`)), `${name} differs from a fresh generation`);
  }
});
