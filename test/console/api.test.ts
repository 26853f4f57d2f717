import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { configSchema } from '../../src/app/config.js';
import { buildAuth } from '../../src/app/console/auth.js';
import { consoleRouter } from '../../src/app/console/router.js';
import { startHttpServer, type RunningServer } from '../../src/app/http/server.js';
import { createLogger } from '../../src/app/logger.js';
import { openReviewStore } from '../../src/app/review/store.js';
import type { ReviewStore } from '../../src/core/review-ports.js';
import { SAMPLE_LOGS, lines, ndjson, ok, ouwatch } from '../helpers/cli.js';
import { recordIncidents } from '../helpers/incidents.js';
import { startServe, type ConsoleProcess } from '../helpers/console.js';
import { tempDir } from '../helpers/tmp.js';
import { request } from 'node:http';
import { join } from 'node:path';
import { fetchText } from '../helpers/http.js';

// The JSON API returns what the CLI's --json prints (one code path), and the console lets
// in only who it should. Servers listen on 127.0.0.1; a console configured as if it listened
// elsewhere is built in-process to exercise the token and proxy rules.

const dir = tempDir();
const db = join(dir, 'api.db');
const TOKEN = 'a-console-token-of-32-characters!';
let serve: ConsoleProcess;

const get = (base: string, path: string, init: RequestInit = {}) => fetchText(new URL(path, base), { redirect: 'manual', ...init });

before(async () => {
  ok(['replay', ...SAMPLE_LOGS, '--db', db, '-q']);
  recordIncidents(db);
  serve = await startServe(['--db', db]);
});
after(() => serve?.stop());

describe('the API mirrors the CLI', () => {
  test('/api/alerts items are the lines of `alerts list --json`; with total, page and counts', async () => {
    const cli = ndjson(ok(['alerts', 'list', '--db', db, '--json', '--status', 'all', '--severity', 'medium']).stdout);
    const api = JSON.parse((await get(serve.url, '/api/alerts?status=all&severity=medium')).body) as { items: unknown[]; total: number; offset: number; limit: number; counts: { severity: Record<string, number> } };
    assert.deepEqual(api.items, cli);
    assert.equal(api.total, 7);
    assert.deepEqual([api.offset, api.limit], [0, 50]);
    assert.deepEqual(api.counts.severity, { medium: 7 });
  });

  test('/api/alerts/ID is `alerts show --json`; /api/user is `user --json`; /api/incidents and /api/rules likewise', async () => {
    const id = ndjson<{ id: string }>(ok(['alerts', '--db', db, '--json', '--rule', 'refresh-token-replay']).stdout)[0].id;
    assert.deepEqual(JSON.parse((await get(serve.url, `/api/alerts/${id}`)).body), JSON.parse(ok(['alerts', 'show', id, '--db', db, '--json']).stdout));
    const dn = 'uid=mmosley,ou=shadow,o=Tremolo';
    assert.deepEqual(JSON.parse((await get(serve.url, `/api/user?dn=${encodeURIComponent(dn)}`)).body), JSON.parse(ok(['user', dn, '--db', db, '--json']).stdout));
    assert.deepEqual(JSON.parse((await get(serve.url, '/api/incidents')).body).items, ndjson(ok(['incidents', '--db', db, '--json']).stdout));
    const rules = JSON.parse((await get(serve.url, '/api/rules')).body) as Array<{ id: string; alertsTotal: number }>;
    assert.deepEqual(rules.map((r) => [r.id, r.alertsTotal]), ndjson<{ id: string; alertsTotal: number }>(ok(['rules', 'list', '--db', db, '--json']).stdout).map((r) => [r.id, r.alertsTotal]));
  });

  test('the rules, overview, incident and end-session pages render from the same services', async () => {
    const rules = await get(serve.url, '/rules');
    assert.equal(rules.status, 200);
    assert.match(rules.body, /<tr data-rule="refresh-token-replay">/);
    assert.match(rules.body, /<footer>.*GeoLite2 data by MaxMind.*<a href="https:\/\/db-ip.com"[^>]*>IP Geolocation by DB-IP<\/a>/s, 'the data licences ask for attribution');
    const overview = await get(serve.url, '/overview');
    assert.match(overview.body, /10 open alerts/);
    assert.match(overview.body, /0 pending, 0 failed/);
    // The sample's response is held back (dry-run, stale): nothing was carried out, nothing is unconfirmed.
    assert.match(overview.body, /<p id="unconfirmed">Every end-session action of the last day/);
    const o = JSON.parse((await get(serve.url, '/api/overview')).body) as { days: string[]; rules: Array<{ rule: string; total: number }> };
    assert.equal(o.days.at(-1), '2026-03-03');
    assert.equal(o.rules.reduce((n, r) => n + r.total, 0), 10);
    const incidents = JSON.parse((await get(serve.url, '/api/incidents')).body) as { items: Array<{ id: string; dn: string | null }> };
    assert.match((await get(serve.url, `/incidents/${incidents.items[0].id}`)).body, /Incident <code>inc-/);
    // mmosley's incident, with the alert without a user from the copy's address beside it (the page and the API alike).
    const his = incidents.items.find((i) => i.dn === 'uid=mmosley,ou=shadow,o=Tremolo')!;
    const page = (await get(serve.url, `/incidents/${his.id}`)).body;
    assert.match(page, /<section id="address-alerts"><h2>Alerts without a user from these addresses, within a day \(1\)<\/h2><table class="queue">.*<td>stale-refresh-token<\/td>/s);
    assert.deepEqual(JSON.parse((await get(serve.url, `/api/incidents/${his.id}`)).body), JSON.parse(ok(['incidents', 'show', his.id, '--db', db, '--json']).stdout));
    // The alert without a user links back to his incident.
    const stale = (JSON.parse((await get(serve.url, `/api/incidents/${his.id}`)).body) as { addressAlerts: Array<{ id: string }> }).addressAlerts[0].id;
    assert.match((await get(serve.url, `/alerts/${stale}`)).body, new RegExp(`<dd id="user-incidents"><a href="/incidents/${his.id}">${his.id}</a>`));
    // His page lists it too.
    const user = (await get(serve.url, `/users?dn=${encodeURIComponent('uid=mmosley,ou=shadow,o=Tremolo')}`)).body;
    assert.match(user, new RegExp(`<section id="address-alerts"><h2>Alerts without a user from these addresses, within a day \\(1\\)</h2>.*<a href="/alerts/${stale}">stale-refresh-token</a>`, 's'));
    const end = await get(serve.url, `/end-session?dn=${encodeURIComponent('uid=mmosley,ou=shadow,o=Tremolo')}`);
    assert.match(end.body, /<pre id="manifest">/);
    assert.match(end.body, /needs <code>respond.mode: apply<\/code>/, 'the default dry-run configuration offers no apply button');
    assert.doesNotMatch(end.body, /Apply: end the sessions now/);
  });

  test('mistakes are 400 with the sentence the CLI prints (without the dashes); unknown ids 404', async () => {
    const bad = await get(serve.url, '/api/alerts?since=%27%20or%201%3D1');
    assert.equal(bad.status, 400);
    assert.match(JSON.parse(bad.body).error, /^since expects an ISO 8601 date\/time/);
    assert.equal((await get(serve.url, '/api/alerts/ffff0000')).status, 404);
    assert.equal((await get(serve.url, '/api/user?dn=uid%3Dnobody')).status, 404);
  });

  test('every page carries the CSP and refuses framing; a foreign Host is refused (DNS rebinding)', async () => {
    const home = await get(serve.url, '/');
    assert.equal(home.headers.get('content-security-policy'), "default-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
    assert.equal(home.headers.get('x-frame-options'), 'DENY');
    assert.doesNotMatch(home.body, /<script>|style=|(src|action|srcset)="https?:\/\/(?!127\.0\.0\.1)|<link[^>]*href="https?:/, 'no inline script or style, nothing loaded from elsewhere');
    // fetch may not set Host: a raw request does, as a rebinding page's browser would.
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(new URL('/', serve.url), { headers: { host: 'evil.example' }, timeout: 5000 }, (res) => {
        res.resume();
        resolve(res.statusCode ?? 0);
      });
      req.on('error', reject);
      req.end();
    });
    assert.equal(status, 421);
  });
});

describe('who may use the console', () => {
  test('serve on a non-loopback address without a token or proxy refuses to start (exit 2, one line)', () => {
    const r = ouwatch(['serve', '--db', db, '--listen', '0.0.0.0:0'], { env: { OUWATCH_CONSOLE_TOKEN: '' } });
    assert.equal(r.status, 2);
    assert.equal(lines(r.stderr).length, 1);
    assert.match(r.stderr, /^ouwatch: ouwatch serve: refusing to serve the console on 0\.0\.0\.0 without authentication: set the bearer token \(environment variable OUWATCH_CONSOLE_TOKEN/);
  });

  /** A console built as for 0.0.0.0 (so authentication applies), listening on 127.0.0.1. */
  async function guarded(console: Record<string, unknown>, env: NodeJS.ProcessEnv): Promise<{ base: string; server: RunningServer; store: ReviewStore }> {
    const config = configSchema.parse({ store: { path: db }, console });
    const store = openReviewStore(config, { write: true });
    const auth = buildAuth(config.console, '0.0.0.0', 'test', env);
    const server = await startHttpServer({ host: '127.0.0.1', port: 0 }, null, createLogger('fatal'), consoleRouter({ config, store, auth, log: createLogger('fatal') }));
    return { base: `http://127.0.0.1:${server.address.port}/`, server, store };
  }

  test('a bearer token: refused without it, accepted with it, and the changes are recorded by its name', async () => {
    const c = await guarded({ auth: { tokenUser: 'soc-bot' } }, { OUWATCH_CONSOLE_TOKEN: TOKEN });
    try {
      assert.equal((await get(c.base, '/api/alerts')).status, 401);
      assert.equal((await get(c.base, '/')).headers.get('location'), '/login');
      assert.equal((await get(c.base, '/api/alerts', { headers: { authorization: 'Bearer wrong-token-wrong-token-wrong' } })).status, 401);
      const auth = { authorization: `Bearer ${TOKEN}` };
      assert.equal((await get(c.base, '/api/alerts', { headers: auth })).status, 200);
      const id = ndjson<{ id: string }>(ok(['alerts', '--db', db, '--json', '--rule', 'stale-refresh-token']).stdout)[0].id;
      const post = await get(c.base, '/api/alerts/status', { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ ids: [id], change: 'ack', comment: 'from the SOAR' }) });
      assert.equal(post.status, 200, post.body);
      const shown = JSON.parse(ok(['alerts', 'show', id, '--db', db, '--json']).stdout) as { history: Array<{ by: string; comment: string }> };
      assert.deepEqual([shown.history.at(-1)!.by, shown.history.at(-1)!.comment], ['soc-bot', 'from the SOAR']);
      // A browser logs in once with the token and gets a cookie (HttpOnly, SameSite=Strict).
      const login = await get(c.base, '/login', { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded', origin: c.base.slice(0, -1) }, body: `token=${encodeURIComponent(TOKEN)}` });
      assert.equal(login.status, 303);
      const cookie = login.headers.get('set-cookie')!;
      assert.match(cookie, /^ouwatch_console=[\w-]+; HttpOnly; SameSite=Strict; Path=\/$/);
      assert.equal((await get(c.base, '/', { headers: { cookie: cookie.split(';')[0] } })).status, 200);
    } finally {
      await c.server.close();
      c.store.close();
    }
  });

  test("the identity header of OpenUnison's reverse proxy counts only from the configured networks", async () => {
    const trusted = await guarded({ proxy: { header: 'X-Remote-User', networks: ['127.0.0.1/32'] } }, {});
    try {
      const page = await get(trusted.base, '/', { headers: { 'x-remote-user': 'alice' } });
      assert.equal(page.status, 200);
      assert.match(page.body, /acting as <b>alice<\/b>/);
      assert.equal((await get(trusted.base, '/api/alerts')).status, 401, 'no header, no entry');
    } finally {
      await trusted.server.close();
      trusted.store.close();
    }
    const elsewhere = await guarded({ proxy: { header: 'X-Remote-User', networks: ['10.0.0.0/8'] } }, {});
    try {
      assert.equal((await get(elsewhere.base, '/api/alerts', { headers: { 'x-remote-user': 'mallory' } })).status, 401);
    } finally {
      await elsewhere.server.close();
      elsewhere.store.close();
    }
  });
});
