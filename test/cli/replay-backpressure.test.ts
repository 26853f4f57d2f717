import assert from 'node:assert/strict';
import { once } from 'node:events';
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import Database from 'better-sqlite3';
import { CORPORA } from '../../bench/corpus.js';
import { startCli } from '../helpers/cli.js';
import { committedOffset } from '../helpers/store.js';
import { tempDir } from '../helpers/tmp.js';

// `ouwatch replay --json | slow-consumer`: the replay must wait for its reader rather than keep
// every alert it committed in memory until the reader takes it. Each commit waits until the
// alerts of the commits before it are written, so a reader that stops reading stops the replay.

function alertCount(db: string): number {
  const d = new Database(db, { readonly: true, fileMustExist: true });
  try {
    return (d.prepare('SELECT count(*) AS n FROM alerts').get() as { n: number }).n;
  } finally {
    d.close();
  }
}

test('a reader that stops reading holds the replay back; once it reads again, every alert is printed once', { timeout: 120_000 }, async () => {
  const dir = tempDir();
  const log = join(dir, 'storm.log');
  // About 1,500 alerts over 20 commits: each commit's alerts (about 100 KB of JSON) are more than a pipe holds.
  CORPORA.storm.write(log, { lines: 40_000, seed: 3 });
  const size = statSync(log).size;
  const db = join(dir, 'ouwatch.db');
  const child = startCli(['replay', log, '--db', db, '--json', '-q', '--commit-every', '2000']);
  child.stdin!.end();
  child.stdout!.pause(); // nobody reads: the pipe fills
  const exited = once(child, 'close');
  try {
    // Wait until the committed position stops moving (held back) or reaches the end (not held back).
    let last = -1;
    let stillSince = Date.now();
    for (const deadline = Date.now() + 90_000; Date.now() < deadline; await sleep(200)) {
      const at = committedOffset(db);
      if (at >= size) break;
      if (at !== last) {
        last = at;
        stillSince = Date.now();
      } else if (at > 0 && Date.now() - stillSince > 3000) break;
    }
    const held = committedOffset(db);
    assert.ok(held > 0, 'the replay committed before its reader stopped it');
    assert.ok(held < size, `the replay committed all ${size} bytes while nobody read its alerts: it kept them all in memory`);

    // The reader comes back: the replay goes on to the end.
    const out: Buffer[] = [];
    child.stdout!.on('data', (b: Buffer) => out.push(b));
    child.stdout!.resume();
    const [code] = (await exited) as [number | null];
    assert.equal(code, 0);
    const printed = Buffer.concat(out).toString('utf8').trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id);
    assert.equal(committedOffset(db), size);
    assert.equal(new Set(printed).size, printed.length, 'no alert printed twice');
    assert.equal(printed.length, alertCount(db), 'every committed alert printed');
    assert.ok(printed.length > 1000);
  } finally {
    child.kill('SIGKILL');
  }
});
