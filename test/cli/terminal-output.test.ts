import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { before, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { INVISIBLE } from '../../src/core/terminal-text.js';
import { runCli } from '../helpers/cli.js';
import { accessLine, log4jTime } from '../helpers/lines.js';
import { tempDir } from '../helpers/tmp.js';

// Every text output shows what a DN carries as visible escapes: no cleared screen, no window
// title, no bell, no reordered or hidden text. JSON stays exact.

const dir = tempDir();
const db = join(dir, 'hostile.db');
const log = join(dir, 'hostile.log');
const DN = 'uid=eve\x1b[2J\x1b]0;owned\x07\u202egnp.exe\u2028x\u200b,o=Tremolo';
const T0 = Date.UTC(2026, 2, 2, 8, 0, 0);
const raw = new RegExp(INVISIBLE.source);

before(async () => {
  const lines = Array.from({ length: 12 }, (_, i) => accessLine({ time: log4jTime(T0 + i * 600_000), dn: DN, ip: '89.160.20.112' }));
  lines.push(accessLine({ time: log4jTime(T0 + 13 * 600_000), dn: DN, ip: '81.2.69.142' }));
  writeFileSync(log, lines.join('\n') + '\n');
  const r = await runCli(['replay', log, '--db', db, '-q']);
  assert.equal(r.code, 0, r.stderr);
});

test('ouwatch user: the header and every row print the DN with visible escapes', async () => {
  const r = await runCli(['user', DN, '--db', db]);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stdout.replace(/\n/g, ''), raw);
  assert.ok(r.stdout.startsWith('uid=eve\\x1b[2J\\x1b]0;owned\\x07\\u202egnp.exe\\u2028x\\u200b,o=Tremolo\n'), r.stdout.slice(0, 120));
  const json = JSON.parse((await runCli(['user', DN, '--db', db, '--json'])).stdout) as { dn: string };
  assert.equal(json.dn, DN, 'JSON stays exact');
});

test('ouwatch parse: the event lines print the DN with visible escapes; --json stays exact', async () => {
  const r = await runCli(['parse', log]);
  assert.equal(r.code, 0, r.stderr);
  assert.doesNotMatch(r.stdout.replace(/\n/g, ''), raw);
  const json = (await runCli(['parse', log, '--json'])).stdout.trim().split('\n').map((l) => JSON.parse(l) as { dn: string });
  assert.equal(json[0].dn, DN);
});

test('tables (alerts, CSV) never carry a raw control or bidi character', async () => {
  const table = await runCli(['alerts', '--db', db]);
  assert.equal(table.code, 0, table.stderr);
  assert.match(table.stdout, /new-source-ip/);
  assert.doesNotMatch(table.stdout.replace(/\n/g, ''), raw);
});

test('an input without a single OpenUnison event is a warning, not silence', async () => {
  const notALog = join(dir, 'nginx.log');
  writeFileSync(notALog, '127.0.0.1 - - [02/Mar/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 612\n'.repeat(5));
  const replay = await runCli(['replay', notALog, '--db', join(dir, 'n.db')]);
  assert.equal(replay.code, 0);
  assert.match(replay.stderr, /warning: {2}no OpenUnison event in 5 lines: is this an OpenUnison log\?/);
  const parse = await runCli(['parse', notALog]);
  assert.equal(parse.code, 0);
  assert.match(parse.stderr, /^ouwatch: warning: no OpenUnison event in .*nginx\.log: is this an OpenUnison log\?\n$/);
});

test("OpenUnison's lines in a layout ouwatch does not read (a custom log4j2.xml) are named as such, gzip too", async () => {
  // `%d [%t] %-5p %c{1} - %m%n`: the stamp without its brackets.
  const custom = join(dir, 'custom-layout.log.gz');
  const lines = Array.from({ length: 4 }, (_, i) => accessLine({ time: log4jTime(T0 + i * 1000) }).replace(/^\[([^\]]+)\]\[([^\]]+)\]/, '$1 [$2]'));
  writeFileSync(custom, gzipSync(lines.join('\n') + '\n'));
  const replay = await runCli(['replay', custom, '--db', join(dir, 'c.db')]);
  assert.equal(replay.code, 0);
  assert.match(
    replay.stderr,
    /warning: {2}no OpenUnison event in 4 lines: .*custom-layout\.log\.gz has OpenUnison's event words in a layout ouwatch does not read \("2026-03-02 08:00:00,000 \[XNIO-1 task-4\] INFO  AccessLog - " before \[AzSuccess\]\): it reads OpenUnison's own .*a custom log4j2\.xml\?/,
  );
  const parse = await runCli(['parse', custom]);
  assert.match(parse.stderr, /no OpenUnison event in .*custom-layout\.log\.gz: .*custom-layout\.log\.gz has OpenUnison's event words in a layout ouwatch does not read/);
  // A foreign prefix is log text: shown with visible escapes.
  const hostile = join(dir, 'hostile-layout.log');
  writeFileSync(hostile, `\x1b]0;owned\x07 ${lines[0].slice(lines[0].indexOf('[XNIO'))}\n`);
  const shown = await runCli(['parse', hostile]);
  assert.match(shown.stderr, /\("\\x1b\]0;owned\\x07 \[XNIO-1 task-4\] INFO  AccessLog - " before \[AzSuccess\]\)/);
});
