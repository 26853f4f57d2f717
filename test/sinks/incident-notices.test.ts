import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import type { StoredAlert } from '../../src/core/alerts.js';
import type { StoredIncident } from '../../src/core/incidents.js';
import { incidentNotice, type IncidentNotice } from '../../src/core/notices.js';
import { makeAlert } from '../helpers/alerts.js';
import { harness } from '../helpers/delivery.js';
import { LoopbackSmtp, mimeParts } from '../helpers/smtp.js';
import { tempDir } from '../helpers/tmp.js';

// Notifications and automatic responses act on incidents by default: one notice when an
// incident opens and one when its severity rises, carrying the alerts that made the change.

const dir = tempDir();
let n = 0;
const db = () => `i${++n}.db`;
const DN = 'uid=mmosley,ou=shadow,o=Tremolo';

function incident(alerts: StoredAlert[], over: Partial<StoredIncident> = {}): StoredIncident {
  return {
    id: `inc-${alerts[0].id}`,
    status: 'open',
    severity: 'high',
    risk: 90,
    dn: DN,
    ip: alerts[0].ip,
    firstTime: alerts[0].time,
    lastTime: alerts[alerts.length - 1].time,
    rules: [...new Set(alerts.map((a) => a.rule))],
    alertIds: alerts.map((a) => a.id),
    alertCount: alerts.length,
    key: `dn:${DN}`,
    closedBenign: false,
    ...over,
  };
}

const received: Array<{ path: string; body: string }> = [];
let server: Server;
let base = '';
before(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(204).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const a = server.address();
  base = `http://127.0.0.1:${typeof a === 'object' && a !== null ? a.port : 0}`;
});
after(() => server.close());

describe('notify.on: incidents (the default)', () => {
  test('an incident opened is one notice per sink with the alerts that opened it; an alert alone below any incident is not notified', async () => {
    received.length = 0;
    const jsonl = join(dir, 'notices.jsonl');
    const h = harness(dir, { respond: { mode: 'off' }, notify: { on: 'incidents', webhooks: [{ url: `${base}/siem`, name: 'siem', secret: 'a-secret-of-sixteen-chars' }, { url: `${base}/slack`, name: 'slack', format: 'slack' }], jsonl: { path: jsonl } } }, { dbName: db() });
    const country = makeAlert({ rule: 'new-country', severity: 'high', risk: 40, dn: DN, ip: '5.255.255.5', country: 'RU', respond: false });
    const travel = makeAlert({ rule: 'impossible-travel', severity: 'high', risk: 50, dn: DN, ip: '5.255.255.5', country: 'RU', respond: false });
    const lonely = makeAlert({ rule: 'new-source-ip', severity: 'medium', risk: 25, dn: 'uid=erik,o=Tremolo', respond: false });
    const inc = incident([country, travel]);
    h.commit([country, travel, lonely], { opened: [inc] });
    const r = await h.delivery.worker.drain(10_000);
    assert.equal(r.delivered, 3, 'siem, slack and jsonl: one each');
    const siem = JSON.parse(received.find((x) => x.path === '/siem')!.body) as IncidentNotice;
    assert.equal(siem.kind, 'incident');
    assert.equal(siem.change, 'opened');
    assert.deepEqual(Object.keys(siem), ['kind', 'change', 'incident', 'alertCount', 'alerts']);
    assert.equal(siem.alertCount, 2);
    assert.deepEqual(Object.keys(siem.incident), ['id', 'status', 'severity', 'risk', 'dn', 'ip', 'firstTime', 'lastTime', 'rules', 'alertIds']);
    assert.equal(siem.incident.id, inc.id);
    assert.deepEqual(siem.alerts.map((a) => a.id), [country.id, travel.id]);
    const slack = (JSON.parse(received.find((x) => x.path === '/slack')!.body) as { text: string }).text;
    assert.match(slack, /^\*HIGH\* incident opened for "uid=mmosley,ou=shadow,o=Tremolo": risk 90, 2 alerts \(`new-country`, `impossible-travel`\)/);
    const lines = readFileSync(jsonl, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as IncidentNotice);
    assert.deepEqual(lines.map((l) => [l.kind, l.change, l.incident.id]), [['incident', 'opened', inc.id]]);
    await h.close();
  });

  test('a rise in severity is a second notice (escalated); alerts joining without one are not', async () => {
    received.length = 0;
    const h = harness(dir, { respond: { mode: 'off' }, notify: { on: 'incidents', webhooks: [{ url: `${base}/siem`, name: 'siem', secret: 'a-secret-of-sixteen-chars' }] } }, { dbName: db() });
    const travel = makeAlert({ rule: 'impossible-travel', severity: 'high', risk: 50, dn: DN, respond: false });
    const inc = incident([travel]);
    h.commit([travel], { opened: [inc] });
    const joined = makeAlert({ rule: 'new-source-ip', severity: 'medium', risk: 25, dn: DN, respond: false });
    h.commit([joined], {});
    const replay = makeAlert({ rule: 'refresh-token-replay', severity: 'critical', risk: 100, dn: DN, respond: false });
    h.commit([replay], { escalated: [{ ...inc, severity: 'critical', risk: 175, alertIds: [travel.id, joined.id, replay.id], alertCount: 3 }] });
    await h.delivery.worker.drain(10_000);
    const notices = received.map((x) => JSON.parse(x.body) as IncidentNotice);
    assert.deepEqual(notices.map((x) => [x.change, x.incident.severity, x.alerts.map((a) => a.rule)]), [
      ['opened', 'high', ['impossible-travel']],
      ['escalated', 'critical', ['refresh-token-replay']],
    ]);
    await h.close();
  });

  test("a sink's minimum severity applies to the incident's severity", async () => {
    received.length = 0;
    const h = harness(dir, { respond: { mode: 'off' }, notify: { on: 'incidents', webhooks: [{ url: `${base}/pager`, name: 'pager', minSeverity: 'critical', secret: 'a-secret-of-sixteen-chars' }] } }, { dbName: db() });
    const a = makeAlert({ rule: 'new-country', severity: 'high', risk: 60, dn: DN, respond: false });
    h.commit([a], { opened: [incident([a], { severity: 'high' })] });
    const r = await h.delivery.worker.drain(5_000);
    assert.equal(r.delivered, 0);
    assert.equal(received.length, 0);
    await h.close();
  });

  test('the email digest shows each incident with its alerts and their evidence, and attaches incidents.json', async () => {
    const smtp = new LoopbackSmtp();
    await smtp.start();
    try {
      const h = harness(
        dir,
        { respond: { mode: 'off' }, notify: { on: 'incidents', email: { host: '127.0.0.1', port: smtp.port, security: 'starttls', rejectUnauthorized: false, from: 'ouwatch@example.org', to: ['soc@example.org'] } } },
        { dbName: db() },
      );
      const hostile = 'uid=a\nSubject: forged,o=Tremolo';
      const a = makeAlert({ rule: 'refresh-token-replay', severity: 'critical', risk: 100, dn: hostile, respond: false });
      h.commit([a], { opened: [incident([a], { severity: 'critical', risk: 100, dn: hostile, key: `dn:${hostile}` })] });
      await h.delivery.worker.drain(10_000);
      assert.equal(smtp.received.length, 1);
      const { headers, parts } = mimeParts(smtp.received[0].raw);
      assert.match(headers, /^Subject: \[ouwatch\] critical incident opened: refresh-token-replay$/m);
      const text = parts.find((p) => p.contentType === 'text/plain')!.body;
      assert.match(text, /^\[CRITICAL\] incident opened$/m);
      assert.ok(text.includes(`  user      ${JSON.stringify(hostile)}`), 'the DN quoted: its newline cannot forge a line');
      assert.match(text, /^ {2}\[CRITICAL\] refresh-token-replay$/m);
      assert.doesNotMatch(smtp.received[0].raw, /^Subject: forged/m);
      const json = JSON.parse(parts.find((p) => p.filename === 'incidents.json')!.body) as IncidentNotice[];
      assert.equal(json[0].incident.dn, hostile);
      await h.close();
    } finally {
      await smtp.stop();
    }
  });

  test("ouwatch's own alarm (the response budget's breaker) is notified although it belongs to no incident", async () => {
    received.length = 0;
    const now = Date.parse('2026-03-02T10:00:00Z');
    const h = harness(
      dir,
      { respond: { mode: 'dry-run', guards: { budgetPerHour: 1, cooldownMinutes: 0 } }, notify: { on: 'incidents', webhooks: [{ url: `${base}/siem`, name: 'siem', secret: 'a-secret-of-sixteen-chars' }] } },
      { dbName: db(), now: () => now },
    );
    const t = new Date(now - 60_000).toISOString();
    h.raise(makeAlert({ dn: 'uid=a,o=Tremolo', time: t, lastTime: t }));
    h.raise(makeAlert({ dn: 'uid=b,o=Tremolo', time: t, lastTime: t }));
    await h.delivery.worker.drain(10_000);
    const rules = received.filter((x) => x.path === '/siem').map((x) => (JSON.parse(x.body) as { rule?: string }).rule);
    assert.deepEqual(rules, ['response-budget-exceeded']);
    await h.close();
  });
});

describe('respond.incidentRisk', () => {
  const now = Date.parse('2026-03-02T10:00:00Z');
  const t = new Date(now - 60_000).toISOString();

  test("an incident reaching the risk ends its user's sessions (dry-run recorded on its newest alert), whatever its rules ask; once per incident", () => {
    const h = harness(dir, { respond: { mode: 'dry-run', incidentRisk: 120 } }, { dbName: db(), now: () => now });
    const a = makeAlert({ rule: 'new-country', severity: 'high', risk: 40, dn: DN, respond: false, time: t, lastTime: t });
    const b = makeAlert({ rule: 'impossible-travel', severity: 'high', risk: 50, dn: DN, respond: false, time: t, lastTime: t });
    h.commit([a, b], { opened: [incident([a, b], { risk: 90 })] });
    assert.equal(h.delivery.responder.counters.planned, 0, 'below the risk: nothing');
    const c = makeAlert({ rule: 'session-moved', severity: 'critical', risk: 60, dn: DN, respond: false, time: t, lastTime: t });
    const inc = incident([a, b, c], { risk: 150, severity: 'critical' });
    h.commit([c], { escalated: [inc] });
    assert.equal(h.delivery.responder.counters.planned, 1);
    const actions = h.db.prepare('SELECT alert_id, by, status, dn FROM actions').all() as Array<{ alert_id: string; by: string; status: string; dn: string }>;
    assert.deepEqual(actions, [{ alert_id: c.id, by: `session-moved (incident ${inc.id}, risk 150)`, status: 'planned', dn: DN }]);
    assert.equal(c.response?.status, 'planned', 'the alert shows the response');
    const d = makeAlert({ rule: 'refresh-token-grace-burst', severity: 'critical', risk: 30, dn: DN, respond: false, time: t, lastTime: t });
    h.commit([d], { escalated: [{ ...inc, risk: 180 }] });
    assert.equal(h.delivery.responder.counters.planned, 1, 'the same incident is not answered twice');
  });

  test('off by default: incidents alone trigger nothing, rules that ask for a response still do', () => {
    const h = harness(dir, { respond: { mode: 'dry-run' } }, { dbName: db(), now: () => now });
    const a = makeAlert({ rule: 'new-country', severity: 'critical', risk: 500, dn: DN, respond: false, time: t, lastTime: t });
    h.commit([a], { opened: [incident([a], { risk: 500, severity: 'critical' })] });
    assert.equal(h.delivery.responder.counters.planned, 0);
    const b = makeAlert({ rule: 'refresh-token-replay', severity: 'critical', dn: 'uid=other,o=Tremolo', respond: true, time: t, lastTime: t });
    h.raise(b);
    assert.equal(h.delivery.responder.counters.planned, 1);
  });
});

test("a Slack message counts every alert of the incident, not only the ids the notice carries", async () => {
  const { slackIncidentBody } = await import('../../src/components/sinks/webhook/webhook.js');
  const a = makeAlert({ rule: 'new-source-ip', severity: 'high', risk: 25, dn: DN, respond: false });
  const held = Array.from({ length: 1_000 }, (_, k) => `id${k}`);
  const n = incidentNotice('escalated', { ...incident([a]), alertIds: held }, [a], 2_500);
  assert.match(slackIncidentBody(n).text, /: risk 90, 2500 alerts \(`new-source-ip`\)/);
  // A notice queued in the outbox before notices carried the count: its ids are all of them.
  const { alertCount: _dropped, ...queuedBefore } = incidentNotice('escalated', { ...incident([a]), alertIds: ['x1', 'x2', 'x3'] }, [a]);
  assert.match(slackIncidentBody(queuedBefore as IncidentNotice).text, /: risk 90, 3 alerts \(/);
});
