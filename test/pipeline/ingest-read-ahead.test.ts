import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_NETWORK_BITS } from '../../src/components/enrich/address-info.js';
import type { InputRegistration } from '../../src/core/inputs.js';
import type { Feed } from '../../src/pipeline/feed.js';
import { Ingest, type EventProcessor } from '../../src/pipeline/ingest.js';
import { IngestWorker } from '../../src/pipeline/worker-client.js';

// A replay of one file: its input is the only one open, so the merge takes it first. It reads
// ahead fully from its first chunk, so that the worker parses the second while this thread
// processes the first (a small file's head and its rest used to go one after the other). An
// input opened beside another waits with one chunk until the merge reaches it, as any later
// file of a rotated set.

const settings = { timeZone: 'UTC', maxLineBytes: 65_536, networkBits: DEFAULT_NETWORK_BITS };

function finite(origin: string): InputRegistration {
  return { origin, identity: { kind: 'none' }, startOffset: 0, startLineNo: 0, live: false };
}

function line(i: number): Buffer {
  const t = new Date(Date.UTC(2026, 2, 2, 0, 0, i)).toISOString().replace('T', ' ').replace('Z', '').replace('.', ',');
  return Buffer.from(`[${t}][XNIO-1 task-1] INFO  AccessLog - [AzSuccess] - k8s - https://k8sou.example.com/k8s - uid=user${i % 7},ou=users,o=Tremolo - 20 / oauth2k8s [10.0.0.${i % 200}] - [s${i % 5}]\n`);
}

/** What a source does: pushes while its feed lets it, at most `max` chunks. */
async function pushWhileReady(feed: Feed, max: number, from: number): Promise<number> {
  let pushed = 0;
  while (pushed < max) {
    const open = await Promise.race([feed.ready(), new Promise<'wait'>((r) => setTimeout(() => r('wait'), 50))]);
    if (open !== true) break;
    feed.push(line(from + pushed));
    pushed++;
  }
  return pushed;
}

test('the only input open reads four chunks ahead before an event is taken; one opened beside it, one chunk', async () => {
  const worker = new IngestWorker(settings);
  let processed = 0;
  let pending = 0;
  const processor: EventProcessor = {
    prepare: () => undefined,
    event() {
      processed++;
      pending++;
    },
    get pending() {
      return pending;
    },
    backlog: 0,
    newUsers: 0,
    heldAlerts: 0,
    heldRows: 0,
  };
  const ingest = new Ingest({
    worker,
    processor,
    committer: { commit: async () => void (pending = 0) },
    mergeWindowMs: 0,
    commitEveryLines: 1_000,
    commitIntervalMs: null,
    // Four, as a large replay reads (a small heap lets a replay read eight: feed-read-ahead.test.ts).
    heapIsSmall: () => false,
  });
  try {
    // Nothing is processed while held: only the read-ahead decides what is read.
    ingest.hold();
    const only = ingest.open(finite('only.log'));
    assert.equal(await pushWhileReady(only, 10, 0), 4, 'the lone input: four chunks');
    const beside = ingest.open(finite('beside.log'));
    assert.equal(await pushWhileReady(beside, 10, 100), 1, 'an input opened beside it: one, until the merge reaches it');

    ingest.resume();
    only.end();
    beside.end();
    await ingest.finish();
    assert.equal(processed, 5, 'every line processed once');
  } finally {
    await worker.terminate();
  }
});
