import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { runCli } from '../helpers/cli.js';
import { activity } from '../helpers/lines.js';
import { tempDir } from '../helpers/tmp.js';

// `ouwatch replay FILE... [--db PATH]`: the summary on stderr says what was read, what it
// became, what was skipped and why, how many users, how fast; exit 0 on success.

const dir = tempDir();
const LINES = activity(4000, { seed: 21 });
const TEXT = LINES.join('\n') + '\n';

function file(name: string, content: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

describe('ouwatch replay', () => {
  test('the summary: lines read, events by type, other lines, skips by reason, users, speed, inputs', async () => {
    const log = file('day.log', TEXT);
    const r = await runCli(['replay', log, '--db', join(dir, 'summary.db')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^time \(log\) +severity +rule/, 'the alerts table goes to stdout');
    assert.doesNotMatch(r.stdout, /^replayed [\d,]+ lines|^  events:/m, 'the summary goes to stderr only');
    assert.match(r.stderr, /^replayed 4,000 lines from 1 input in [\d.]+ s \([\d,]+ lines\/s, [\d.]+ MB\/s\)$/m);
    assert.match(r.stderr, /^ {2}events: {3}AuSuccess [\d,]+, AuFail [\d,]+, AzSuccess [\d,]+, AzFail [\d,]+, NotFound [\d,]+, ExpiredRefreshTokenUsed [\d,]+, IdpWarning [\d,]+, Logout [\d,]+$/m);
    assert.match(r.stderr, /^ {2}other: {4}[\d,]+ non-event log lines, [\d,]+ continuation lines/m);
    assert.match(r.stderr, /^ {2}skipped: {2}0 \(malformed 0, binary 0, oversized 0, unknown-word 0, truncated 0\)$/m);
    assert.match(r.stderr, /^ {2}users: {4}12 seen$/m);
    assert.match(r.stderr, new RegExp(`^  input:    ${log} \\(plain, from the start\\): 4,000 lines$`, 'm'));
  });

  test('stdin (-), plain and gzip, replays like a file; run again, the same log is recognised', async () => {
    const db = join(dir, 'stdin.db');
    const plain = await runCli(['replay', '-', '--db', db], { input: TEXT });
    assert.equal(plain.code, 0, plain.stderr);
    assert.match(plain.stderr, /replayed 4,000 lines/);
    assert.match(plain.stderr, /input: {4}stdin \(plain, from the start\)/);
    const again = await runCli(['replay', '-', '--db', db], { input: gzipSync(TEXT) });
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stderr, /replayed 0 lines/);
    assert.match(again.stderr, /nothing new since the last replay/);
  });

  test('--from-start reads a replayed file again; --quiet prints no summary; --json keeps stdout for alerts only', async () => {
    const log = file('again.log', TEXT);
    const db = join(dir, 'again.db');
    const first = await runCli(['replay', log, '--db', db, '--quiet', '--json']);
    assert.equal(first.code, 0, first.stderr);
    assert.equal(first.stderr, '');
    for (const line of first.stdout.split('\n').filter(Boolean)) JSON.parse(line);
    const again = await runCli(['replay', log, '--db', db, '--from-start']);
    assert.match(again.stderr, /replayed 4,000 lines/);
  });

  test('docker json-file, CRI and gzip inputs of two replicas: detected per file, one history', async () => {
    const half = LINES.filter((_, i) => i % 2 === 0);
    const other = LINES.filter((_, i) => i % 2 === 1);
    const docker = file('replica-a.json.log', half.map((l) => JSON.stringify({ log: l + '\n', stream: 'stdout', time: '2024-05-06T07:00:00Z' })).join('\n') + '\n');
    const cri = file('replica-b.log.gz', gzipSync(other.map((l) => `2024-05-06T07:00:00.000000000Z stdout F ${l}`).join('\n') + '\n'));
    const r = await runCli(['replay', cri, docker, '--db', join(dir, 'replicas.db')]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /replayed 4,000 lines from 2 inputs/);
    assert.match(r.stderr, /replica-b\.log\.gz \(cri, from the start\): 2,000 lines/);
    assert.match(r.stderr, /replica-a\.json\.log \(docker, from the start\): 2,000 lines/);
    const plain = await runCli(['replay', file('replicas-plain.log', TEXT), '--db', join(dir, 'replicas-plain.db')]);
    const events = (s: string) => s.split('\n').find((l) => l.startsWith('  events:'));
    assert.equal(events(r.stderr), events(plain.stderr));
  });
});
