import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { openDatabase } from '../../src/store/sqlite/database.js';
import { readUserHistory } from '../../src/store/sqlite/user-history.js';
import { activity, log4jTime } from '../helpers/lines.js';
import { checkpointRows, dumpHistory, replayInto } from '../helpers/store.js';
import { tempDir } from '../helpers/tmp.js';

// History persists across runs, and a checkpoint per input (its identity and offset, committed
// with the state it produced) makes a replay idempotent: the same log is never counted twice,
// whatever its name, path or compression, and a log that grew is read from where it stopped.

const dir = tempDir();
let n = 0;
const fresh = (name: string) => join(dir, `${++n}-${name}`);
const DAY1 = activity(3000, { seed: 11, start: Date.UTC(2024, 4, 6, 7, 0, 0) });
const DAY2 = activity(3000, { seed: 12, start: Date.UTC(2024, 4, 7, 7, 0, 0) });
const text = (lines: string[]) => lines.join('\n') + '\n';

function write(name: string, lines: string[]): string {
  const p = fresh(name);
  writeFileSync(p, text(lines));
  return p;
}

function userCounts(dbPath: string, dn: string) {
  const db = openDatabase(dbPath, { readonly: true });
  try {
    return readUserHistory(db, dn)?.counts ?? null;
  } finally {
    db.close();
  }
}

describe('across runs', () => {
  test('two runs over two days add up to one run over both', async () => {
    const day1 = write('day1.log', DAY1);
    const day2 = write('day2.log', DAY2);
    const split = fresh('split.db');
    await replayInto(split, [day1]);
    await replayInto(split, [day2]);
    const together = fresh('together.db');
    await replayInto(together, [day1, day2]);
    assert.deepEqual(dumpHistory(split), dumpHistory(together));
    assert.ok((dumpHistory(split).users as unknown[]).length > 5);
  });

  test('replaying the same file twice counts it once, and the second run says nothing was new', async () => {
    const log = write('twice.log', DAY1);
    const db = fresh('twice.db');
    const first = await replayInto(db, [log]);
    const once = dumpHistory(db);
    const second = await replayInto(db, [log]);
    assert.deepEqual(dumpHistory(db), once);
    assert.equal(first.stats.linesRead, DAY1.length);
    assert.equal(second.stats.linesRead, 0);
    assert.equal(second.report.inputs[0].resumedAt, Buffer.byteLength(text(DAY1)));
    assert.deepEqual(checkpointRows(db), [{ path: log, offset: Buffer.byteLength(text(DAY1)), line_no: DAY1.length }]);
  });

  test('--from-start reads every input again (and counts its events again: use a fresh --db to rebuild)', async () => {
    const log = write('again.log', DAY1);
    const db = fresh('again.db');
    const first = await replayInto(db, [log]);
    const again = await replayInto(db, [log], { fromStart: true });
    assert.equal(again.stats.linesRead, DAY1.length);
    assert.equal(again.report.inputs[0].resumedAt, 0);
    const dn = 'uid=user1,ou=shadow,o=Tremolo';
    const before = first.events.filter((e) => e.dn === dn && e.type === 'AzSuccess').length;
    assert.ok(before > 0);
    assert.equal(userCounts(db, dn)?.AzSuccess, 2 * before);
  });

  test('a copy of a replayed file, under another name, is recognised and not counted again', async () => {
    const log = write('original.log', DAY1);
    const copy = fresh('copy-elsewhere.log');
    copyFileSync(log, copy);
    const db = fresh('copy.db');
    await replayInto(db, [log]);
    const once = dumpHistory(db);
    const run = await replayInto(db, [copy]);
    assert.equal(run.stats.linesRead, 0);
    assert.deepEqual(dumpHistory(db), once);
  });

  test('a log rotated and compressed after it was replayed (app.log -> app.log.1.gz) is not counted again', async () => {
    const log = write('app.log', DAY1);
    const db = fresh('rotated.db');
    await replayInto(db, [log]);
    const once = dumpHistory(db);
    const gz = fresh('app.log.1.gz');
    writeFileSync(gz, gzipSync(text(DAY1)));
    const run = await replayInto(db, [gz]);
    assert.equal(run.stats.linesRead, 0);
    assert.deepEqual(dumpHistory(db), once);
  });

  test('the same file named twice in one run is read once, with a warning', async () => {
    const log = write('named-twice.log', DAY1);
    const copy = fresh('named-twice-copy.log');
    copyFileSync(log, copy);
    const db = fresh('named-twice.db');
    const run = await replayInto(db, [log, copy]);
    assert.equal(run.stats.linesRead, DAY1.length);
    assert.match(run.report.warnings.join('\n'), /same log as/);
  });

  test('a log that grew since the last run is read from where it stopped', async () => {
    const log = write('growing.log', DAY1.slice(0, 1000));
    const db = fresh('growing.db');
    await replayInto(db, [log]);
    appendFileSync(log, text(DAY1.slice(1000)));
    const second = await replayInto(db, [log]);
    assert.equal(second.stats.linesRead, DAY1.length - 1000);
    assert.equal(second.events[0].lineNo > 1000, true);
    const whole = fresh('growing-whole.db');
    await replayInto(whole, [write('whole.log', DAY1)]);
    assert.deepEqual(dumpHistory(db), dumpHistory(whole));
  });

  test('a line cut at the end of a file is skipped, not consumed; completed later, it is counted once with its own line number', async () => {
    const cutAt = DAY1.findIndex((l, i) => i >= 1500 && l.includes('[AzSuccess]'));
    const last = DAY1[cutAt];
    const log = fresh('cut.log');
    writeFileSync(log, text(DAY1.slice(0, cutAt)) + last.slice(0, 60));
    const db = fresh('cut.db');
    const first = await replayInto(db, [log]);
    assert.equal(first.stats.lineKinds.truncated, 1);
    appendFileSync(log, last.slice(60) + '\n' + text(DAY1.slice(cutAt + 1)));
    const second = await replayInto(db, [log]);
    assert.equal(second.stats.lineKinds.truncated ?? 0, 0);
    const completed = second.events.find((e) => e.raw === last);
    assert.equal(completed?.lineNo, cutAt + 1, 'the completed line is read, with its physical line number');
    for (const e of second.events) assert.equal(e.raw, DAY1[e.lineNo - 1], `line ${e.lineNo} is not what the file holds there`);
    const whole = fresh('cut-whole.db');
    await replayInto(whole, [write('cut-whole.log', DAY1)]);
    assert.deepEqual(dumpHistory(db), dumpHistory(whole));
  });

  test('a file rewritten from scratch (new first line) is a new log', async () => {
    const log = fresh('rewritten.log');
    writeFileSync(log, text(DAY1));
    const db = fresh('rewritten.db');
    await replayInto(db, [log]);
    const rotated = fresh('rewritten.log.1');
    renameSync(log, rotated);
    writeFileSync(log, text(DAY2));
    const run = await replayInto(db, [log, rotated]);
    assert.equal(run.stats.linesRead, DAY2.length);
  });
});

describe('time zone', () => {
  test('--tz changes the stored times, not what is counted', async () => {
    const log = write('tz.log', [DAY1[0]]);
    const utc = await replayInto(fresh('utc.db'), [log]);
    const sthlm = await replayInto(fresh('sthlm.db'), [log], { timeZone: 'Europe/Stockholm' });
    const e0 = utc.events[0];
    assert.equal(log4jTime(e0.ts), DAY1[0].slice(1, 24));
    assert.equal(e0.ts - sthlm.events[0].ts, 2 * 3600_000, 'May in Stockholm is UTC+2');
  });
});
