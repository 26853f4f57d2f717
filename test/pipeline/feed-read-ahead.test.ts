import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { InputRegistration } from '../../src/core/inputs.js';
import { MAX_BATCH_BYTES, type EventBatch } from '../../src/pipeline/batch.js';
import { Feed, type FeedOwner } from '../../src/pipeline/feed.js';

// How far a source reads ahead of the merge. A replay of hundreds of rotated files opens them
// all at once: an input the merge has not taken an event from yet (a later file, waiting for
// the earlier ones) holds one chunk, which tells the merge when it begins; once the merge
// reads from it, it reads four chunks ahead like any input, eight while the main thread's
// heap is small (the worker parses while the main thread works; the memory is there). A
// limit set for the run (PipelineLimits.readAhead) caps all of these.

/** A feed whose owner says whether the heap has room (`room`, which the spec may change). */
function feedOf(live: boolean, room = { small: false }, readAheadLimit = Infinity, lendBuffer = (bytes: number) => Buffer.alloc(bytes)): { feed: Feed; sent: Buffer[] } {
  const sent: Buffer[] = [];
  const owner: FeedOwner = {
    send: (_f, chunk) => void sent.push(chunk),
    sendEnd: () => undefined,
    abandon: () => undefined,
    wake: () => undefined,
    roomToReadAhead: () => room.small,
    readAheadLimit,
    lendBuffer,
  };
  const reg: InputRegistration = { origin: 'a.log', identity: { kind: 'none' }, startOffset: 0, startLineNo: 0, live };
  return { feed: new Feed(0, reg, owner), sent };
}

/** A source pushing as long as its feed lets it, for at most `max` chunks. */
async function pushWhileReady(feed: Feed, max: number): Promise<number> {
  let pushed = 0;
  while (pushed < max) {
    const open = await Promise.race([feed.ready(), new Promise<'wait'>((r) => setTimeout(() => r('wait'), 20))]);
    if (open !== true) break;
    feed.push(Buffer.from('x'));
    pushed++;
  }
  return pushed;
}

/** A parsed batch of `count` events one second apart. */
function batch(count: number): EventBatch {
  const n = (a: number[]) => Float64Array.from(a);
  const times = Array.from({ length: count }, (_, i) => 1_700_000_000_000 + i * 1000);
  return { count, times: n(times), resumes: n(times.map((_, i) => i + 1)), lineNos: n(times.map((_, i) => i + 1)), stampSecs: new Float64Array(0), endResume: count, endLineNo: count, tailHash: null, hashOffset: 0, final: false, format: null } as unknown as EventBatch;
}

describe('read-ahead of a finite input', () => {
  test('before the merge takes an event from it: one chunk; after: four', async () => {
    const { feed, sent } = feedOf(false);
    assert.equal(await pushWhileReady(feed, 10), 1, 'one chunk while the merge has not reached the input');
    feed.arrive(batch(3), 0);
    assert.equal(await pushWhileReady(feed, 10), 0, 'its batch waits: nothing more is read');
    assert.ok(feed.available());
    feed.advance();
    // Its batch (being consumed) and three chunks more make four.
    assert.equal(await pushWhileReady(feed, 10), 3, 'taken from: read ahead as any input');
    assert.equal(sent.length, 4);
  });

  test('the input the merge takes next (warmed) reads four chunks ahead before it is taken from', async () => {
    const { feed } = feedOf(false);
    assert.equal(await pushWhileReady(feed, 10), 1);
    feed.warm();
    assert.equal(await pushWhileReady(feed, 10), 3);
  });

  test('a live input reads four chunks ahead from the start (its lines are waited for)', async () => {
    const { feed } = feedOf(true);
    assert.equal(await pushWhileReady(feed, 10), 4);
  });

  test('while the heap is small, an input taken from reads eight chunks ahead; four again once it is not', async () => {
    const room = { small: true };
    const { feed } = feedOf(false, room);
    assert.equal(await pushWhileReady(feed, 20), 1, 'not taken from yet: one chunk, whatever the heap');
    feed.warm();
    assert.equal(await pushWhileReady(feed, 20), 7, 'eight in all');
    room.small = false;
    for (let i = 0; i < 4; i++) feed.arrive(batch(1), 0);
    assert.equal(await pushWhileReady(feed, 20), 0, 'the heap grew: eight in flight is past four, nothing more is read');
  });

  test('a live input reads four chunks ahead whatever the heap', async () => {
    const { feed } = feedOf(true, { small: true });
    assert.equal(await pushWhileReady(feed, 20), 4);
  });
});

test('a read-ahead limit caps every input, finite or live, whatever the heap', async () => {
  const finite = feedOf(false, { small: true }, 2).feed;
  finite.warm();
  assert.equal(await pushWhileReady(finite, 20), 2);
  assert.equal(await pushWhileReady(feedOf(true, { small: true }, 3).feed, 20), 3);
  assert.equal(await pushWhileReady(feedOf(false, { small: true }, 2).feed, 20), 1, 'a feed not taken from yet still reads one');
});

test('a buffer lent to a source is no larger than one batch: a larger chunk would be split, and a part would take the whole buffer to the thread', () => {
  const asked: number[] = [];
  const { feed } = feedOf(false, { small: false }, Infinity, (bytes) => {
    asked.push(bytes);
    return Buffer.alloc(bytes);
  });
  assert.equal(feed.lendBuffer(64 * 1024).length, 64 * 1024);
  assert.equal(feed.lendBuffer(8 * MAX_BATCH_BYTES).length, MAX_BATCH_BYTES);
  assert.deepEqual(asked, [64 * 1024, MAX_BATCH_BYTES]);
});
