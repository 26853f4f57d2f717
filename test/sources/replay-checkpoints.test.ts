import assert from 'node:assert/strict';
import { appendFileSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { runCli } from '../helpers/cli.js';
import { committedCounts, countsOf, totalOf, type EventCounts } from '../helpers/event-counts.js';
import { BASE_TIME, logText } from '../helpers/log-lines.js';
import { tempDir } from '../helpers/tmp.js';

// `ouwatch replay` remembers how far it read each log (by the log's identity, its first record
// line) and resumes there next time, once the bytes just before that point are confirmed to be
// the ones it read. Two logs that share their first line (a JVM banner, or a copy that was then
// rewritten) are different logs and are read in full; a log that grew, or was rotated and
// compressed, is read on from where it stopped.

const BANNER = 'Picked up JAVA_TOOL_OPTIONS: -Xmx1g\n';
const DAY = 86_400_000;
/** What an input that was not resumed as it should be says (detection has warnings of its own). */
const INPUT_WARNINGS = /begins like|shorter than its checkpoint|ended before its checkpoint|same log as/;

async function replay(db: string, files: string[]): Promise<{ stderr: string; lines: number; inputs: string[] }> {
  const r = await runCli(['replay', ...files, '--db', db]);
  assert.equal(r.code, 0, r.stderr);
  const lines = Number(/replayed ([\d,]+) lines/.exec(r.stderr)?.[1].replaceAll(',', ''));
  const inputs = r.stderr.split('\n').filter((l) => l.startsWith('  input:')).map((l) => l.slice('  input:'.length).trim());
  return { stderr: r.stderr, lines, inputs };
}

const physicalLines = (text: string) => text.split('\n').length - 1;

function sum(...counts: EventCounts[]): EventCounts {
  const out: EventCounts = {};
  for (const c of counts) for (const [dn, byType] of Object.entries(c)) for (const [t, n] of Object.entries(byType)) (out[dn] ??= {})[t] = (out[dn][t] ?? 0) + n;
  return out;
}

describe('two logs that share their first line are different logs', () => {
  test('the same JVM banner, then different log4j lines: the second day is read in full, not resumed at the first one’s offset', async () => {
    const dir = tempDir();
    const db = join(dir, 'ouwatch.db');
    const day1 = BANNER + logText(0, 300);
    const day2 = BANNER + logText(0, 200, BASE_TIME + DAY);
    writeFileSync(join(dir, 'day1.log'), day1);
    writeFileSync(join(dir, 'day2.log'), day2);
    const first = await replay(db, [join(dir, 'day1.log')]);
    assert.equal(first.lines, physicalLines(day1));
    const second = await replay(db, [join(dir, 'day2.log')]);
    assert.equal(second.lines, physicalLines(day2), 'every line of day 2 is read');
    assert.match(second.inputs[0], /day2\.log \(plain, from the start\)/);
    assert.doesNotMatch(second.stderr, INPUT_WARNINGS);
    const committed = committedCounts(db);
    assert.deepEqual(committed, sum(countsOf(day1), countsOf(day2)), 'every event of both days counted once');
    assert.ok(totalOf(countsOf(day2)) > 100);
  });

  test('the same first record line, then other bytes (a copy that was rewritten): read from its start, with a warning', async () => {
    const dir = tempDir();
    const db = join(dir, 'ouwatch.db');
    const original = logText(0, 300);
    const firstLine = original.slice(0, original.indexOf('\n') + 1);
    const rewritten = firstLine + logText(1, 400, BASE_TIME + DAY);
    writeFileSync(join(dir, 'app.log'), original);
    writeFileSync(join(dir, 'copy.log'), rewritten);
    await replay(db, [join(dir, 'app.log')]);
    const second = await replay(db, [join(dir, 'copy.log')]);
    assert.equal(second.lines, physicalLines(rewritten));
    assert.match(second.inputs[0], /copy\.log \(plain, from the start\)/);
    const warning = second.stderr.split('\n').find((l) => l.includes('begins like the log read as'));
    assert.ok(warning !== undefined, second.stderr);
    assert.match(warning, new RegExp(`^ouwatch: warning: ${join(dir, 'copy.log')} begins like the log read as ${join(dir, 'app.log')} .*read from its start`));
    assert.deepEqual(committedCounts(db), sum(countsOf(original), countsOf(rewritten)));
  });

  test('the same, compressed: the bytes are checked while decompressing', async () => {
    const dir = tempDir();
    const db = join(dir, 'ouwatch.db');
    const original = logText(0, 300);
    const firstLine = original.slice(0, original.indexOf('\n') + 1);
    const rewritten = firstLine + logText(1, 400, BASE_TIME + DAY);
    writeFileSync(join(dir, 'app.log'), original);
    writeFileSync(join(dir, 'copy.log.gz'), gzipSync(rewritten));
    await replay(db, [join(dir, 'app.log')]);
    const second = await replay(db, [join(dir, 'copy.log.gz')]);
    assert.equal(second.lines, physicalLines(rewritten));
    assert.match(second.stderr, /ouwatch: warning: .*copy\.log\.gz begins like the log read as .*app\.log .*read from its start/);
    assert.deepEqual(committedCounts(db), sum(countsOf(original), countsOf(rewritten)));
  });
});

describe('the same log, read again', () => {
  test('after it grew: only the new lines are read', async () => {
    const dir = tempDir();
    const db = join(dir, 'ouwatch.db');
    const file = join(dir, 'app.log');
    writeFileSync(file, BANNER + logText(0, 300));
    await replay(db, [file]);
    appendFileSync(file, logText(300, 450));
    const second = await replay(db, [file]);
    assert.equal(second.lines, physicalLines(logText(300, 450)));
    assert.match(second.inputs[0], new RegExp(`app\\.log \\(plain, resumed at byte ${Buffer.byteLength(BANNER + logText(0, 300)).toLocaleString('en-US')}\\)`));
    assert.doesNotMatch(second.stderr, INPUT_WARNINGS);
    assert.deepEqual(committedCounts(db), countsOf(logText(0, 450)));
    const third = await replay(db, [file]);
    assert.equal(third.lines, 0);
    assert.match(third.inputs[0], /nothing new since the last replay/);
  });

  test('after it grew and was rotated and compressed: the archive resumes after the checkpoint', async () => {
    const dir = tempDir();
    const db = join(dir, 'ouwatch.db');
    const file = join(dir, 'app.log');
    writeFileSync(file, BANNER + logText(0, 300));
    await replay(db, [file]);
    appendFileSync(file, logText(300, 450));
    writeFileSync(file + '.1.gz', gzipSync(readFileSync(file)));
    renameSync(file, join(dir, 'gone'));
    const second = await replay(db, [file + '.1.gz']);
    assert.equal(second.lines, physicalLines(logText(300, 450)), 'only the lines written after the first replay');
    assert.match(second.inputs[0], /app\.log\.1\.gz \(plain, resumed at byte/);
    assert.doesNotMatch(second.stderr, INPUT_WARNINGS);
    assert.deepEqual(committedCounts(db), countsOf(logText(0, 450)));
  });

  test('a `kubectl logs --prefix` file of two pods: each pod is an input with its own checkpoint, and the file read again reads nothing', async () => {
    const dir = tempDir();
    const db = join(dir, 'ouwatch.db');
    const file = join(dir, 'pods.log');
    const pod = (name: string, text: string) => text.split('\n').filter(Boolean).map((l) => `[pod/${name}/openunison-orchestra] ${l}\n`).join('');
    const a = pod('openunison-orchestra-0', logText(0, 300));
    const b = pod('openunison-orchestra-1', logText(300, 500));
    writeFileSync(file, a + b);
    const first = await replay(db, [file]);
    assert.equal(first.lines, physicalLines(a + b));
    assert.deepEqual(first.inputs, [
      `pods.log, pod/openunison-orchestra-0/openunison-orchestra (kubectl-prefix, from the start): ${physicalLines(a)} lines`,
      `pods.log, pod/openunison-orchestra-1/openunison-orchestra (kubectl-prefix, from the start): ${physicalLines(b)} lines`,
    ].map((i) => join(dir, i)));
    assert.deepEqual(committedCounts(db), countsOf(logText(0, 500)));
    const again = await replay(db, [file]);
    assert.equal(again.lines, 0);
    assert.equal(again.inputs.filter((i) => /nothing new since the last replay/.test(i)).length, 2, again.inputs.join('\n'));
    assert.doesNotMatch(again.stderr, INPUT_WARNINGS);

    // A stream cannot be split: read as it comes, and replay says how to get the merge.
    const piped = await runCli(['replay', '-', '--db', join(dir, 'piped.db')], { input: a + b });
    assert.equal(piped.code, 0, piped.stderr);
    assert.match(piped.stderr, /stdin is `kubectl logs --prefix` output, read in the order it came: .*save it to a file first/);
  });
});
