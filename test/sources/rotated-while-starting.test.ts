import assert from 'node:assert/strict';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { accessLine } from '../helpers/lines.js';
import { liveHarness, type LiveHarness } from '../helpers/live.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

// The daemon starts by listing the files its patterns match and tailing each. A rotation
// while it does so (a slow start, a process stopped or starved of CPU on a loaded node) moves
// a listed file to a name the listing does not hold: it was found only by the periodic
// rescan, after the merge had started on the newest file, whose lines then went first.

let harness: LiveHarness | null = null;
after(() => harness?.close());

const at = (s: number) => accessLine({ time: `2024-05-06 07:08:0${s},000`, ip: `10.0.0.${s}` });
const lines = (...s: number[]) => s.map((n) => at(n) + '\n').join('');

test('a file rotated away while the daemon starts is read in its place by log time, before the newer file that took its name', async () => {
  const dir = tempDir();
  const logs = join(dir, 'logs');
  const log = join(logs, 'app.log');
  mkdirSync(logs);
  writeFileSync(`${log}.1`, lines(1, 2, 3));
  writeFileSync(log, lines(4, 5, 6));
  let rotated = false;
  harness = await liveHarness(join(dir, 'start.db'), {
    mergeWindowMs: 100,
    configure: (c) => {
      c.sources.files = [join(logs, 'app.log*')];
      // No periodic rescan during the test: only the start may find the rotated file.
      c.sources.rescanIntervalMs = 60_000;
    },
    beforeStart: (runtime) => {
      const checkpoint = runtime.store.checkpoint.bind(runtime.store);
      runtime.store.checkpoint = async (fp) => {
        // While the first listed file is being claimed: app.log is rotated to a name not listed.
        if (!rotated) {
          rotated = true;
          renameSync(log, `${log}.2`);
          writeFileSync(log, lines(7, 8, 9));
        }
        return checkpoint(fp);
      };
    },
  });
  assert.ok(rotated, 'the rotation happened while the files were being opened');
  await waitFor('nine lines to be processed', () => harness!.processed.length === 9, 10_000);
  assert.deepEqual(harness.processed, [1, 2, 3, 4, 5, 6, 7, 8, 9].map(at));
});
