import assert from 'node:assert/strict';
import { appendFileSync, copyFileSync, renameSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { FileTailSource } from '../../src/components/sources/files/followed-files.js';
import { CheckpointStore } from '../../src/store/sqlite/checkpoints.js';
import { liveHarness, type LiveHarness } from '../helpers/live.js';
import { tempDir } from '../helpers/tmp.js';
import { BASE_TIME, logText } from '../helpers/log-lines.js';
import { waitFor } from '../helpers/wait.js';

const open: Array<{ h: LiveHarness; s: FileTailSource }> = [];
after(async () => {
  for (const { h, s } of open) await h.close(s).catch(() => undefined);
});

/** The physical lines of `logText(from, to)`. */
function lines(from: number, to: number, start = BASE_TIME): string[] {
  return logText(from, to, start).split('\n').slice(0, -1);
}

async function tailing(dir: string, patterns: string[], opts: { mergeWindowMs?: number; startAt?: 'beginning' | 'end' } = {}): Promise<{ h: LiveHarness; s: FileTailSource }> {
  const h = liveHarness(join(dir, 'ouwatch.db'), opts);
  const s = new FileTailSource(
    { name: 'files', patterns, startAt: opts.startAt ?? 'beginning', pollIntervalMs: 20, rescanIntervalMs: 100, maxLineBytes: 1024 * 1024 },
    h.ingest,
    new CheckpointStore(h.runtime.db),
  );
  h.ingest.attach(s);
  h.ingest.hold();
  await s.start();
  h.ingest.release();
  const entry = { h, s };
  open.push(entry);
  return entry;
}

async function stop(entry: { h: LiveHarness; s: FileTailSource }): Promise<void> {
  open.splice(open.indexOf(entry), 1);
  await entry.h.close(entry.s);
}

const processedCount = (h: LiveHarness, n: number) => () => h.processed.length >= n;

test('appended lines are read; a partial last line waits until it is completed', async () => {
  const dir = tempDir();
  const file = join(dir, 'app.log');
  const all = lines(0, 31);
  const line20 = all.indexOf(lines(20, 21)[0]);
  writeFileSync(file, all.slice(0, line20).join('\n') + '\n' + all[line20].slice(0, 40));
  const t = await tailing(dir, [file]);
  await waitFor('the complete lines', processedCount(t.h, line20));
  assert.deepEqual(t.h.processed, all.slice(0, line20), 'the half-written line is not processed');
  appendFileSync(file, all[line20].slice(40) + '\n' + all.slice(line20 + 1).join('\n') + '\n');
  await waitFor('the rest', processedCount(t.h, all.length));
  assert.deepEqual(t.h.processed, all);
  await stop(t);
});

test('rotation by rename: the rest of the old file, then the new file, each line once', async () => {
  const dir = tempDir();
  const file = join(dir, 'app.log');
  writeFileSync(file, logText(0, 50));
  const t = await tailing(dir, [file]);
  await waitFor('the first file', processedCount(t.h, lines(0, 50).length));
  // Lines appended just before the rename are read from the renamed file.
  appendFileSync(file, logText(50, 60));
  renameSync(file, file + '.1');
  writeFileSync(file, logText(60, 80));
  await waitFor('both files', processedCount(t.h, lines(0, 80).length));
  appendFileSync(file, logText(80, 90));
  await waitFor('appends to the new file', processedCount(t.h, lines(0, 90).length));
  assert.deepEqual(t.h.processed, lines(0, 90));
  assert.ok(t.h.sources.includes(`${file}:1`), 'the new file is numbered from its first line');
  await stop(t);
});

test('rotation by rename with a glob that also matches the rotated names: no line twice', async () => {
  const dir = tempDir();
  const file = join(dir, 'app.log');
  writeFileSync(file, logText(0, 40));
  const t = await tailing(dir, [join(dir, 'app.log*')]);
  await waitFor('the first file', processedCount(t.h, lines(0, 40).length));
  for (let gen = 1; gen <= 3; gen++) {
    appendFileSync(file, logText(gen * 40, gen * 40 + 20));
    for (let k = gen - 1; k >= 1; k--) renameSync(`${file}.${k}`, `${file}.${k + 1}`);
    renameSync(file, `${file}.1`);
    writeFileSync(file, logText(gen * 40 + 20, gen * 40 + 40));
    await waitFor(`generation ${gen}`, processedCount(t.h, lines(0, gen * 40 + 40).length));
  }
  await new Promise((r) => setTimeout(r, 300)); // two rescans: any duplicate would show now
  assert.deepEqual([...t.h.processed].sort(), lines(0, 160).sort());
  assert.equal(new Set(t.h.processed).size, t.h.processed.length);
  await stop(t);
});

test('rotation by copytruncate: lines only in the copy are read from it, none twice', async () => {
  const dir = tempDir();
  const file = join(dir, 'app.log');
  writeFileSync(file, logText(0, 50));
  const t = await tailing(dir, [join(dir, 'app.log*')]);
  await waitFor('the first lines', processedCount(t.h, lines(0, 50).length));
  // Appended, copied and truncated at once: the tail may never see lines 50..60 in app.log.
  appendFileSync(file, logText(50, 60));
  copyFileSync(file, file + '.1');
  truncateSync(file, 0);
  appendFileSync(file, logText(60, 70));
  await waitFor('every line', processedCount(t.h, lines(0, 70).length));
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual([...t.h.processed].sort(), lines(0, 70).sort());
  assert.equal(t.h.processed.length, lines(0, 70).length, 'no line twice');
  await stop(t);
});

test('a file that appears later is picked up by the rescan, and the source reports when it is attached', async () => {
  const dir = tempDir();
  const t = await tailing(dir, [join(dir, '*.log')]);
  const before = t.s.status();
  assert.equal(before.attached, false);
  assert.match(before.detail, /no file matches/);
  writeFileSync(join(dir, 'late.log'), logText(0, 10));
  await waitFor('the late file', processedCount(t.h, lines(0, 10).length));
  assert.deepEqual(t.h.processed, lines(0, 10));
  const now = t.s.status();
  assert.equal(now.attached, true);
  assert.deepEqual(now.inputs, [{ name: join(dir, 'late.log'), state: 'tailing' }]);
  await stop(t);
});

test('two files are merged in time order', async () => {
  const dir = tempDir();
  // Replica a writes even lines, replica b odd ones, interleaved in time.
  const all = lines(0, 40).filter((l) => l.startsWith('['));
  writeFileSync(join(dir, 'a.log'), all.filter((_, i) => i % 2 === 0).join('\n') + '\n');
  writeFileSync(join(dir, 'b.log'), all.filter((_, i) => i % 2 === 1).join('\n') + '\n');
  const t = await tailing(dir, [join(dir, '*.log')], { mergeWindowMs: 1000 });
  await waitFor('both files', processedCount(t.h, all.length));
  assert.deepEqual(t.h.processed, all);
  await stop(t);
});

test('a restart resumes exactly after the committed checkpoint', async () => {
  const dir = tempDir();
  const file = join(dir, 'app.log');
  writeFileSync(file, logText(0, 30));
  const first = await tailing(dir, [file]);
  await waitFor('the first run', processedCount(first.h, lines(0, 30).length));
  await stop(first);
  appendFileSync(file, logText(30, 40));
  const second = await tailing(dir, [file]);
  await waitFor('the new lines', processedCount(second.h, lines(30, 40).length));
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual(second.h.processed, lines(30, 40));
  await stop(second);
});

test('a file rotated away while stopped, to a name not tailed, is found by its inode and finished', async () => {
  const dir = tempDir();
  const file = join(dir, 'app.log');
  writeFileSync(file, logText(0, 30));
  const first = await tailing(dir, [file]);
  await waitFor('the first run', processedCount(first.h, lines(0, 30).length));
  await stop(first);
  appendFileSync(file, logText(30, 40));
  renameSync(file, join(dir, 'app-2026-03-02.old'));
  writeFileSync(file, logText(40, 50));
  const second = await tailing(dir, [file]);
  await waitFor('the rest of the old file and the new one', processedCount(second.h, lines(30, 50).length));
  await new Promise((r) => setTimeout(r, 100));
  assert.deepEqual([...second.h.processed].sort(), lines(30, 50).sort());
  await stop(second);
});

test('startAt end: a file without a checkpoint is read from its last complete line on', async () => {
  const dir = tempDir();
  const file = join(dir, 'app.log');
  const all = lines(0, 16);
  const at10 = all.indexOf(lines(10, 11)[0]);
  writeFileSync(file, all.slice(0, at10).join('\n') + '\n' + all[at10].slice(0, 30));
  const t = await tailing(dir, [file], { startAt: 'end' });
  await waitFor('tailing', () => t.s.status().attached);
  appendFileSync(file, all[at10].slice(30) + '\n' + all.slice(at10 + 1).join('\n') + '\n');
  await waitFor('the new lines', processedCount(t.h, all.length - at10));
  assert.deepEqual(t.h.processed, all.slice(at10), 'the line being written at start-up is read once complete');
  await stop(t);
});
