import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { runCli, type CliResult } from '../helpers/cli.js';
import { accessLine, activity, header, log4jTime } from '../helpers/lines.js';
import { tempDir } from '../helpers/tmp.js';

// Unusable arguments stop the command before anything is read, with one clear line on stderr
// and exit code 2. Bad content is counted and skipped, and the rest of the input is processed.

const dir = tempDir();
const LINES = activity(1000, { seed: 31 });
const TEXT = LINES.join('\n') + '\n';

function file(name: string, content: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

function assertOneLineError(r: CliResult, pattern: RegExp): void {
  assert.equal(r.code, 2, `exit code ${String(r.code)}; stderr: ${r.stderr}`);
  const lines = r.stderr.trimEnd().split('\n');
  assert.equal(lines.length, 1, `expected one line, got:\n${r.stderr}`);
  assert.match(lines[0], /^ouwatch: /);
  assert.match(lines[0], pattern);
  assert.equal(r.stdout, '');
}

const skipped = (stderr: string) => {
  const m = /skipped: {2}([\d,]+) \(malformed ([\d,]+), binary ([\d,]+), oversized ([\d,]+), unknown-word ([\d,]+), truncated ([\d,]+)\)/.exec(stderr);
  assert.ok(m, stderr);
  const n = (s: string) => Number(s.replace(/,/g, ''));
  return { total: n(m[1]), malformed: n(m[2]), binary: n(m[3]), oversized: n(m[4]), unknownWord: n(m[5]), truncated: n(m[6]) };
};
const eventsLine = (stderr: string) => stderr.split('\n').find((l) => l.startsWith('  events:'));

describe('unusable arguments: one line, exit 2', { concurrency: 4 }, () => {
  const good = file('good.log', TEXT);
  const regular = file('regular-file', 'x');
  const sub = join(dir, 'a-directory');
  mkdirSync(sub);

  const rows: Array<[string, string[], RegExp]> = [
    ['a missing file', ['replay', join(dir, 'missing.log'), '--db', join(dir, 'm.db')], /no such file: .*missing\.log/],
    ['a missing file among good ones', ['replay', good, join(dir, 'missing.log'), '--db', join(dir, 'm2.db')], /no such file/],
    ['a directory instead of a file', ['replay', sub, '--db', join(dir, 'd.db')], /a-directory is a directory/],
    ['a db path under a regular file', ['replay', good, '--db', join(regular, 'x.db')], /db .*regular-file\/x\.db/],
    ['a db path that is a directory', ['replay', good, '--db', sub], /is a directory, expected a file/],
    ['an unknown --tz', ['replay', good, '--db', join(dir, 'tz.db'), '--tz', 'Mars/Olympus_Mons'], /unknown time zone 'Mars\/Olympus_Mons'/],
    ['an unknown --tz for parse', ['parse', good, '--tz', 'Europe/Atlantis'], /unknown time zone/],
    ['stdin named twice', ['replay', '-', '-', '--db', join(dir, 's.db')], /only once/],
    ['parse of a missing file', ['parse', join(dir, 'nope.log'), '--json'], /no such file/],
    ['user with no database', ['user', 'uid=x,o=Tremolo', '--db', join(dir, 'never-created.db')], /no database at/],
    ['a config file that does not exist', ['replay', good, '--config', join(dir, 'none.yaml')], /none\.yaml: cannot read/],
  ];
  for (const [what, args, pattern] of rows) {
    test(what, async () => assertOneLineError(await runCli(args), pattern));
  }

  test('a config file with an unknown field names the file and the field', async () => {
    const cfg = file('bad.yaml', 'store:\n  path: x.db\n  colour: blue\n');
    assertOneLineError(await runCli(['replay', good, '--config', cfg]), /bad\.yaml: store: unknown field 'colour'/);
  });
});

describe('bad content: counted, skipped, and the rest processed (exit 0)', { concurrency: 4 }, () => {
  test('binary garbage between good lines', async () => {
    const garbage = randomBytes(64 * 1024);
    const log = file('garbage.log', Buffer.concat([Buffer.from(LINES.slice(0, 500).join('\n') + '\n'), garbage, Buffer.from('\n' + LINES.slice(500).join('\n') + '\n')]));
    const r = await runCli(['replay', log, '--db', join(dir, 'garbage.db')]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(skipped(r.stderr).binary > 0, r.stderr);
    const clean = await runCli(['replay', file('clean.log', TEXT), '--db', join(dir, 'clean.db')]);
    assert.equal(eventsLine(r.stderr), eventsLine(clean.stderr), 'every event around the garbage is still read');
  });

  test('a file that is nothing but binary', async () => {
    const r = await runCli(['replay', file('binary.bin', randomBytes(256 * 1024)), '--db', join(dir, 'bin.db')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /events: {3}none/);
  });

  test('a 5 MB line is one oversized skip; the lines around it are read', async () => {
    const huge = header() + '[AzSuccess] - ' + 'x'.repeat(5 * 1024 * 1024);
    const log = file('huge.log', LINES.slice(0, 500).join('\n') + '\n' + huge + '\n' + LINES.slice(500).join('\n') + '\n');
    const r = await runCli(['replay', log, '--db', join(dir, 'huge.db')]);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(skipped(r.stderr), { total: 1, malformed: 0, binary: 0, oversized: 1, unknownWord: 0, truncated: 0 });
    assert.match(r.stderr, /replayed 1,001 lines/);
  });

  test('a line cut in half at the end of a file is skipped as truncated', async () => {
    const log = file('cut.log', TEXT + accessLine().slice(0, 80));
    const r = await runCli(['replay', log, '--db', join(dir, 'cut.db')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(skipped(r.stderr).truncated, 1);
  });

  test('malformed lines and unknown event words are counted by reason', async () => {
    const bad = [accessLine({ time: '2024-02-30 10:00:00,000' }), accessLine({ event: 'AzLog' }), header() + '[AzSuccess] - k8s - cut here'];
    const log = file('odd.log', [...LINES.slice(0, 10), ...bad, ...LINES.slice(10)].join('\n') + '\n');
    const r = await runCli(['replay', log, '--db', join(dir, 'odd.db')]);
    assert.equal(r.code, 0, r.stderr);
    const s = skipped(r.stderr);
    assert.equal(s.malformed, 2);
    assert.equal(s.unknownWord, 1);
  });

  test('a time before 1970 or more than a day ahead of the clock is malformed; an hour ahead is not', async () => {
    const odd = [
      accessLine({ time: '1969-12-31 23:59:59,999' }),
      accessLine({ time: log4jTime(Date.now() + 25 * 3_600_000) }),
      accessLine({ time: '2999-01-01 00:00:00,000' }),
      accessLine({ time: log4jTime(Date.now() + 3_600_000) }),
    ];
    const log = file('times.log', [...LINES.slice(0, 10), ...odd].join('\n') + '\n');
    const r = await runCli(['replay', log, '--db', join(dir, 'times.db')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(skipped(r.stderr).malformed, 3);
    const clean = await runCli(['parse', file('ten.log', LINES.slice(0, 10).join('\n') + '\n'), '--json']);
    const parsed = await runCli(['parse', log, '--json']);
    assert.equal(parsed.stdout.trim().split('\n').length, clean.stdout.trim().split('\n').length + 1, 'only the line an hour ahead is an event');
  });

  test('a truncated gzip archive: a warning, exit 0, and what came before is kept', async () => {
    const gz = gzipSync(TEXT);
    const log = file('cut.log.gz', gz.subarray(0, Math.floor(gz.length * 0.7)));
    const r = await runCli(['replay', log, '--db', join(dir, 'gz.db')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /warning: {2}.*cut\.log\.gz: the gzip archive is truncated/);
    const read = Number(/replayed ([\d,]+) lines/.exec(r.stderr)![1].replace(/,/g, ''));
    assert.ok(read > 100 && read < 1000, `${read} lines`);
  });

  test('an empty file', async () => {
    const r = await runCli(['replay', file('empty.log', ''), '--db', join(dir, 'empty.db')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /replayed 0 lines/);
  });
});
