import assert from 'node:assert/strict';
import { appendFileSync, readdirSync, readlinkSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { DescriptorTail } from '../../src/components/sources/files/descriptor-tail.js';
import { tempDir } from '../helpers/tmp.js';

// The tail reads through the descriptor it holds open (see rotation-between-stat-and-read for
// why). These check what that must not cost: descriptors and listeners per poll, and a file
// that goes missing and comes back.

/** This process's descriptors open on `path`. */
function descriptorsOn(path: string): number {
  let n = 0;
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) === path) n++;
    } catch {
      // closed meanwhile (the directory listing's own descriptor)
    }
  }
  return n;
}

async function collect(tail: DescriptorTail, until: (text: string) => boolean): Promise<string> {
  let text = '';
  tail.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  const deadline = Date.now() + 5_000;
  while (!until(text)) {
    if (Date.now() > deadline) assert.fail(`timed out; read so far: ${JSON.stringify(text.slice(-200))}`);
    await sleep(5);
  }
  return text;
}

test('many polls with new bytes read each byte once, add no listeners, and the tail leaves no descriptor open when it quits', async () => {
  const dir = tempDir();
  const path = join(dir, 'a.log');
  writeFileSync(path, 'line 0\n');
  const warnings: string[] = [];
  const onWarning = (w: Error) => warnings.push(w.message);
  process.on('warning', onWarning);
  const tail = new DescriptorTail(path, { startPos: 0, pollFileIntervalMs: 5 });
  let text = '';
  tail.on('data', (chunk: Buffer) => (text += chunk.toString('utf8')));
  await tail.start();
  assert.equal(descriptorsOn(path), 1, 'one descriptor while tailing');
  let expected = 'line 0\n';
  for (let i = 1; i <= 25; i++) {
    appendFileSync(path, `line ${i}\n`);
    expected += `line ${i}\n`;
    const deadline = Date.now() + 5_000;
    while (text !== expected) {
      if (Date.now() > deadline) assert.fail(`poll ${i}: read ${JSON.stringify(text.slice(-60))}`);
      await sleep(2);
    }
  }
  await tail.quit();
  tail.destroy();
  await sleep(50);
  process.off('warning', onWarning);
  assert.equal(text, expected);
  assert.deepEqual(warnings, [], 'no MaxListenersExceededWarning (25 reads through one descriptor)');
  assert.equal(descriptorsOn(path), 0, 'the descriptor is closed with the tail');
});

test('a file renamed away and back is read on from where it was; a renamed file\'s rest comes before the new file', async () => {
  const dir = tempDir();
  const path = join(dir, 'b.log');
  writeFileSync(path, 'one\n');
  const tail = new DescriptorTail(path, { startPos: 0, pollFileIntervalMs: 5, pollFailureRetryMs: 5, maxPollFailures: 1000 });
  const reading = collect(tail, (t) => t.endsWith('fresh 2\n'));
  await tail.start();
  await sleep(40);
  appendFileSync(path, 'two\n');
  renameSync(path, join(dir, 'b.log.away'));
  await sleep(60); // missing for a few polls: its rest ('two') is read through the descriptor
  renameSync(join(dir, 'b.log.away'), path);
  appendFileSync(path, 'three\n');
  await sleep(60);
  renameSync(path, join(dir, 'b.log.1'));
  appendFileSync(join(dir, 'b.log.1'), 'four\n'); // written to the old file after the rename
  writeFileSync(path, 'fresh 1\nfresh 2\n');
  const text = await reading;
  await tail.quit();
  tail.destroy();
  assert.equal(text, 'one\ntwo\nthree\nfour\nfresh 1\nfresh 2\n');
});
