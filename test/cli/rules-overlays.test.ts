import assert from 'node:assert/strict';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { ouwatch, REPO } from '../helpers/cli.js';
import { tempDir } from '../helpers/tmp.js';

/** A site's copy of the shipped rules with a rules.d beside it, as `detect.rulesDir` would name it. */
function site(): { rules: string; overlays: string } {
  const dir = tempDir();
  const rules = join(dir, 'rules');
  cpSync(join(REPO, 'rules'), rules, { recursive: true });
  const overlays = join(dir, 'rules.d');
  mkdirSync(overlays);
  return { rules, overlays };
}

const notFound = (t: string, path: string) =>
  `[2026-03-03 ${t},000][XNIO-1 task-13] INFO  AccessLog - [NotFound] - UNKNOWN - https://k8sou.nordvik.example${path} - uid=Anonymous,o=Tremolo - Resource Not Found [81.2.69.161] - [null]`;

test('rules check and rules test see a patched rule as a run would: with its overlay applied', () => {
  const { rules, overlays } = site();
  writeFileSync(join(overlays, 'auth-failure-burst.yaml'), 'id: auth-failure-burst\nparams:\n  threshold: 50\n');
  const check = ouwatch(['rules', 'check', rules]);
  assert.equal(check.status, 0, check.stderr);
  assert.match(check.stdout, /auth-failure-burst\s+medium\s+50 events for one address within 5 min/);
  assert.match(check.stderr, /with the overlays of .*rules\.d/);

  const t = ouwatch(['rules', 'test', rules, '--fixtures', join(REPO, 'fixtures', 'rules')]);
  assert.equal(t.status, 1, 'the shipped fixture that proves the burst fires no longer passes with threshold 50');
  assert.match(t.stdout, /FAIL {2}auth-failure-burst\/password-spray/);
  assert.match(t.stdout, /PASS {2}auth-failure-burst\/below-threshold/);
});

test("a rule an overlay adds is tested against the fixtures in rules.d/fixtures/<id>", () => {
  const { rules, overlays } = site();
  writeFileSync(
    join(overlays, 'notfound-scan.yaml'),
    [
      'id: notfound-scan',
      'description: Twenty missing pages asked for by one address within ten minutes.',
      'detector: threshold',
      'severity: low',
      'risk: 10',
      'events: [NotFound]',
      'params: { groupBy: ip, threshold: 20, window: 10m }',
      'suppress: 24h',
      'respond: false',
    ].join('\n') + '\n',
  );
  const fx = join(overlays, 'fixtures', 'notfound-scan');
  mkdirSync(fx, { recursive: true });
  const scan = Array.from({ length: 25 }, (_, k) => notFound(`04:00:${String(k * 2).padStart(2, '0')}`, `/wp-${k}.php`));
  writeFileSync(join(fx, 'scan.log'), scan.join('\n') + '\n');
  writeFileSync(join(fx, 'scan.expect.yaml'), 'description: "25 missing pages in 48 s from one address."\nalerts:\n  - { dn: null, ip: 81.2.69.161 }\n');
  writeFileSync(join(fx, 'favicon.log'), [notFound('04:00:00', '/favicon.ico'), notFound('05:00:00', '/favicon.ico')].join('\n') + '\n');
  writeFileSync(join(fx, 'favicon.expect.yaml'), 'description: "a browser asking for a favicon now and then."\nalerts: []\n');

  const t = ouwatch(['rules', 'test', rules, '--fixtures', join(REPO, 'fixtures', 'rules')]);
  assert.equal(t.status, 0, t.stdout + t.stderr);
  assert.match(t.stdout, /PASS {2}notfound-scan\/scan: .* \(1 alert\)/);
  assert.match(t.stdout, /PASS {2}notfound-scan\/favicon: .* \(0 alerts\)/);
});
