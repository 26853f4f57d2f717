import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { accessLine } from '../helpers/lines.js';
import { liveHarness, type LiveHarness } from '../helpers/live.js';
import { tempDir } from '../helpers/tmp.js';
import { waitFor } from '../helpers/wait.js';

// The merge waits for a live input that has unread bytes (2 s without progress at most)
// before letting later lines of other inputs go. A process stopped or starved of CPU, or
// busy in a long commit, gives no input a turn to read: counted in wall time, that wait was
// used up by the stall itself, and the other inputs' later lines went first.

const harnesses: LiveHarness[] = [];
after(() => Promise.all(harnesses.map((h) => h.close())));

/** Blocks the event loop for `ms`, as a stopped or starved process is. */
function stall(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // busy: no callback runs
  }
}

/** A harness whose inputs are opened by the test (the daemon's wiring wants a source: a file that never appears). */
async function harnessWith(mergeWindowMs: number): Promise<LiveHarness> {
  const dir = tempDir();
  const harness = await liveHarness(join(dir, 'stall.db'), { mergeWindowMs, configure: (c) => void (c.sources.files = [join(dir, 'none.log')]) });
  harnesses.push(harness);
  return harness;
}

const reg = (origin: string) => ({ origin, identity: { kind: 'none' as const }, startOffset: 0, startLineNo: 0, live: true, format: 'plain' as const });
const early = accessLine({ time: '2024-05-06 07:08:05,000', ip: '10.0.0.5' });
const late = accessLine({ time: '2024-05-06 07:08:10,000', ip: '10.0.0.10' });

test('a stall longer than the merge window does not let a later line go before a quiet input had its turn', async () => {
  const h = await harnessWith(500);
  const quiet = h.runtime.ingest.open(reg('quiet'));
  const busy = h.runtime.ingest.open(reg('busy'));
  busy.push(Buffer.from(late + '\n'));
  await waitFor('the later line to be parsed', () => busy.available(), 5_000);
  stall(1_500);
  setImmediate(() => quiet.push(Buffer.from(early + '\n')));
  await waitFor('both lines to be processed', () => h.processed.length === 2, 10_000);
  assert.deepEqual(h.processed, [early, late]);
});

test('a stall longer than the wait for an input with unread bytes does not let a later line of another input go first', async () => {
  const h = await harnessWith(100);
  const slow = h.runtime.ingest.open(reg('slow'));
  const quick = h.runtime.ingest.open(reg('quick'));
  // The slow input's source knows it has bytes to read; the quick one's later line is parsed.
  slow.unread(true);
  quick.push(Buffer.from(late + '\n'));
  await waitFor('the later line to be parsed', () => quick.available(), 5_000);
  stall(2_500);
  // The slow input's bytes come as soon as the loop runs again.
  setImmediate(() => {
    slow.push(Buffer.from(early + '\n'));
    slow.unread(false);
  });
  await waitFor('both lines to be processed', () => h.processed.length === 2, 10_000);
  assert.deepEqual(h.processed, [early, late]);
});
