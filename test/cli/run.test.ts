import assert from 'node:assert/strict';
import { appendFileSync, cpSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import Database from 'better-sqlite3';
import { BUNDLED_RULES_DIR } from '../../src/app/rule-dirs.js';
import { spawnDaemon, type DaemonProcess } from '../helpers/daemon.js';
import { tempDir } from '../helpers/tmp.js';
import { logText } from '../helpers/log-lines.js';
import { waitFor } from '../helpers/wait.js';
import { accessLine, log4jTime } from '../helpers/lines.js';
import { REQUEST_TIMEOUT_MS } from '../helpers/http.js';

const children: DaemonProcess[] = [];
after(() => {
  for (const d of children) d.child.kill('SIGKILL');
});

function start(args: string[], cwd?: string): DaemonProcess {
  const d = spawnDaemon(args, { cwd });
  children.push(d);
  return d;
}

/** The committed checkpoint offset of the file now at `path` (its current first line), or -1. */
function checkpointOf(dbPath: string, path: string): number {
  if (!existsSync(dbPath)) return -1;
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const row = db.prepare('SELECT offset FROM checkpoints WHERE path = ? ORDER BY updated_at DESC LIMIT 1').get(path) as { offset: number } | undefined;
    return row?.offset ?? -1;
  } catch {
    return -1; // schema not created yet
  } finally {
    db.close();
  }
}

/** Resolves with the exit, or rejects once `ms` have passed (the contract's deadline, not a measurement). */
function exitWithin(d: DaemonProcess, ms: number) {
  return Promise.race([
    d.exited,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`no exit within ${ms} ms`)), ms).unref()),
  ]);
}

test('SIGTERM: the daemon commits what it read, checkpoints, and exits 0 within 5 s', async () => {
  const dir = tempDir();
  const file = join(dir, 'openunison.log');
  const db = join(dir, 'ouwatch.db');
  writeFileSync(file, logText(0, 200));
  const d = start(['--file', file, '--db', db, '--listen', '127.0.0.1:0']);
  await waitFor('the first lines committed', () => checkpointOf(db, file) === statSync(file).size, 15_000);
  appendFileSync(file, logText(200, 300));
  await waitFor('the appended lines committed', () => checkpointOf(db, file) === statSync(file).size, 15_000);
  d.child.kill('SIGTERM');
  const { code } = await exitWithin(d, 5000);
  assert.equal(code, 0);
  assert.ok(d.logs.some((r) => r.msg === 'stopped'), 'it says it stopped');
  assert.equal(checkpointOf(db, file), statSync(file).size, 'the checkpoint covers every line read');
  const users = new Database(db, { readonly: true }).prepare('SELECT count(*) AS n FROM users').get() as { n: number };
  assert.equal(users.n, 4);
});

test('a configuration error names the file and the fields, on one line, and exits 2', async () => {
  const dir = tempDir();
  const cfg = join(dir, 'ouwatch.yaml');
  writeFileSync(cfg, 'sources:\n  files: [a.log]\n  pollIntervalMs: fast\n  tail: yes\nserver:\n  listen: "localhost:http"\n');
  const d = start(['--config', cfg]);
  const { code } = await d.exited;
  assert.equal(code, 2);
  assert.equal(d.rawErrors.length, 1, d.rawErrors.join('\n'));
  const line = d.rawErrors[0];
  assert.ok(line.includes(cfg), line);
  assert.match(line, /sources\.pollIntervalMs: .*number/);
  assert.match(line, /sources: unknown field 'tail'/);
  assert.match(line, /server\.listen: expected HOST:PORT/);
});

test('flags override the configuration file and get the same checks', async () => {
  const dir = tempDir();
  const cfg = join(dir, 'ouwatch.yaml');
  writeFileSync(cfg, 'sources:\n  files: [/nonexistent/*.log]\n');
  const bad = start(['--config', cfg, '--poll-ms', 'often']);
  assert.equal((await bad.exited).code, 2);
  assert.match(bad.rawErrors.join('\n'), /with the command-line flags: sources\.pollIntervalMs/);

  const file = join(dir, 'app.log');
  writeFileSync(file, logText(0, 20));
  const d = start(['--config', cfg, '--file', file, '--db', join(dir, 'x.db'), '--listen', '127.0.0.1:0']);
  const tailing = await d.waitForLog('the flag file tailed', (r) => r.msg === 'tailing file');
  assert.equal(tailing.path, file);
  d.child.kill('SIGTERM');
  assert.equal((await exitWithin(d, 5000)).code, 0);
});

test('no source at all is a usage error', async () => {
  const d = start(['--db', join(tempDir(), 'x.db')]);
  assert.equal((await d.exited).code, 2);
  assert.match(d.rawErrors.join('\n'), /nothing to read; give --file/);
});

test('an address that is taken is a one-line error with exit code 2', async () => {
  const dir = tempDir();
  writeFileSync(join(dir, 'a.log'), logText(0, 5));
  const first = start(['--file', join(dir, 'a.log'), '--db', join(dir, 'a.db'), '--listen', '127.0.0.1:0']);
  const url = new URL(await first.url());
  const second = start(['--file', join(dir, 'a.log'), '--db', join(dir, 'b.db'), '--listen', `127.0.0.1:${url.port}`]);
  assert.equal((await second.exited).code, 2);
  assert.match(second.rawErrors.join('\n'), /cannot listen on 127\.0\.0\.1:\d+: the address is in use/);
  first.child.kill('SIGTERM');
  assert.equal((await exitWithin(first, 5000)).code, 0);
});

test('SIGHUP reloads the rules: a bad rule file keeps the old ones, an edited one takes effect on the next lines', async () => {
  const dir = tempDir();
  const file = join(dir, 'app.log');
  writeFileSync(file, logText(0, 5));
  const rules = join(dir, 'rules');
  cpSync(BUNDLED_RULES_DIR, rules, { recursive: true });
  const d = start(['--file', file, '--db', join(dir, 'x.db'), '--listen', '127.0.0.1:0', '--rules', rules, '--json']);
  await d.waitForLog('start', (r) => r.msg === 'ouwatch run started');
  writeFileSync(join(rules, 'broken.yaml'), 'id: [unclosed\n');
  d.child.kill('SIGHUP');
  const refused = await d.waitForLog('the refusal', (r) => r.msg === 'rules not reloaded: keeping the previous rules');
  assert.match(String(refused.err), /broken\.yaml/);
  rmSync(join(rules, 'broken.yaml'));
  // Three failed logins from one address make a burst from now on (ten as shipped).
  const burst = join(rules, 'auth-failure-burst.yaml');
  writeFileSync(burst, readFileSync(burst, 'utf8').replace('threshold: 10', 'threshold: 3'));
  d.child.kill('SIGHUP');
  const reloaded = await d.waitForLog('the reload', (r) => r.msg === 'rules reloaded');
  assert.ok((reloaded.rules as string[]).includes('refresh-token-replay'), 'the reloaded rule ids are logged');
  const failed = (k: number) => accessLine({ time: log4jTime(Date.UTC(2026, 2, 2, 9, 0, k)), event: 'AuFail', app: 'k8sIdp', dn: 'cn=none', ip: '175.16.199.5', session: 'null' });
  appendFileSync(file, [failed(0), failed(1), failed(2)].join('\n') + '\n');
  const line = await waitFor('the burst alert on stdout', () => d.stdout.find((l) => (JSON.parse(l) as { rule: string }).rule === 'auth-failure-burst'));
  assert.match((JSON.parse(line) as { reason: string }).reason, /^3 failed logins \(AuFail\) from 175\.16\.199\.5 \(CN\) within 2 s \(rule: 3 within 5 min\)/);
  const health = await fetch(new URL('/healthz', await d.url()), { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  assert.equal(health.status, 200, 'still running after SIGHUP');
  d.child.kill('SIGTERM');
  assert.equal((await exitWithin(d, 5000)).code, 0);
});

test('when almost every success comes from one private address, the daemon warns once that the address rules are blind', async () => {
  const dir = tempDir();
  const file = join(dir, 'ingress.log');
  const lines: string[] = [];
  for (let i = 0; i < 240; i++) {
    const time = log4jTime(Date.UTC(2026, 2, 3, 8, 0, i));
    lines.push(accessLine({ time, dn: `uid=user${i % 7},ou=shadow,o=Tremolo`, ip: '10.42.0.17' }));
  }
  writeFileSync(file, lines.join('\n') + '\n');
  const d = start(['--file', file, '--db', join(dir, 'ingress.db'), '--listen', '127.0.0.1:0']);
  const warned = await d.waitForLog('the warning', (r) => r.level === 'warn' && /address rules/.test(String(r.msg)));
  assert.match(String(warned.msg), /^100% of 240 successful events came from 1 private address \(10\.42\.0\.17\)/);
  assert.match(String(warned.msg), /Fix: /);
  d.child.kill('SIGTERM');
  assert.equal((await exitWithin(d, 5000)).code, 0);
  assert.equal(d.logs.filter((r) => /address rules/.test(String(r.msg))).length, 1, 'said once, not at every commit');
});

test('a daemon that reads 20,000 lines without one OpenUnison event says so, once (a wrong input, or a layout ouwatch does not read)', async () => {
  const dir = tempDir();
  const file = join(dir, 'custom-layout.log');
  // A custom log4j2.xml: the stamp outside its brackets. Every line is OpenUnison's, none is read.
  const lines: string[] = [];
  for (let i = 0; i < 20_000; i++) lines.push(accessLine({ time: log4jTime(Date.UTC(2026, 2, 3, 8, 0, 0, i * 10)) }).replace(/^\[([^\]]+)\]\[/, '$1 ['));
  writeFileSync(file, lines.join('\n') + '\n');
  const d = start(['--file', file, '--db', join(dir, 'custom.db'), '--listen', '127.0.0.1:0']);
  const warned = await d.waitForLog('the warning', (r) => r.level === 'warn' && /no OpenUnison event/.test(String(r.msg)));
  // The file's head shows OpenUnison's event words after a header ouwatch does not read: the warning names it.
  assert.match(String(warned.msg), /^no OpenUnison event in 20,000 lines: .*custom-layout\.log has OpenUnison's event words in a layout ouwatch does not read \("2026-03-03 08:00:00,000 \[XNIO-1 task-\d+\] INFO  AccessLog - " before \[AzSuccess\]\)/);
  d.child.kill('SIGTERM');
  assert.equal((await exitWithin(d, 5000)).code, 0);
  assert.equal(d.logs.filter((r) => /no OpenUnison event/.test(String(r.msg))).length, 1, 'said once, not at every commit');

  // Lines of another program: the question, not a layout.
  const other = join(dir, 'nginx.log');
  writeFileSync(other, Array.from({ length: 20_000 }, (_, i) => `10.0.0.${i % 250} - - [03/Mar/2026:08:00:00 +0000] "GET /healthz HTTP/1.1" 200 2`).join('\n') + '\n');
  const n = start(['--file', other, '--db', join(dir, 'nginx.db'), '--listen', '127.0.0.1:0']);
  const asked = await n.waitForLog('the warning', (r) => r.level === 'warn' && /no OpenUnison event/.test(String(r.msg)));
  assert.equal(String(asked.msg), "no OpenUnison event in 20,000 lines: is this OpenUnison's log, in its own layout? (a custom log4j2.xml: docs/openunison.md)");
  n.child.kill('SIGTERM');
  assert.equal((await exitWithin(n, 5000)).code, 0);
});
