import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MergeHead, type MergeInput } from '../../src/pipeline/merge-head.js';

/** Wall time as the loop's free time (the inputs here answer their own waits). */
const wall = { since: (t: number) => performance.now() - t };

/** An input as the merge sees it: the key of its next parsed event (null: nothing parsed). */
function input(name: string, head: number | null, opts: { live?: boolean; inFlight?: number; done?: boolean; unreadWait?: number } = {}): MergeInput & { name: string } {
  return {
    name,
    available: () => head !== null,
    headKey: () => head!,
    done: opts.done ?? false,
    live: opts.live ?? false,
    inFlight: opts.inFlight ?? 0,
    unreadWait: () => opts.unreadWait ?? 0,
  };
}

test('the input whose next event is earliest goes first, up to the next-earliest head', () => {
  const head = new MergeHead<ReturnType<typeof input>>();
  const feeds = [input('a', 300), input('b', 100), input('c', 200)];
  head.look(feeds, wall, false);
  assert.equal(head.best?.name, 'b');
  assert.equal(head.second, 200);
  assert.equal(head.runnerUp?.name, 'c');
  assert.equal(head.waitFinite, false);
});

test('alone, an input runs to the end of what is parsed', () => {
  const head = new MergeHead<ReturnType<typeof input>>();
  head.look([input('a', 100), input('b', null, { done: true })], wall, false);
  assert.equal(head.best?.name, 'a');
  assert.equal(head.second, Number.POSITIVE_INFINITY);
  assert.equal(head.bestTakesTies([input('a', 100)]), true);
});

test('a finite input with nothing parsed yet holds the merge: its events may come first', () => {
  const head = new MergeHead<ReturnType<typeof input>>();
  head.look([input('a', 100), input('b', null)], wall, false);
  assert.equal(head.waitFinite, true);
  // Stopping: what is parsed goes, nothing more is waited for.
  head.look([input('a', 100), input('b', null)], wall, true);
  assert.equal(head.waitFinite, false);
});

test('a live input waits for bytes sent for parsing, for unread bytes its source named, otherwise only the window', () => {
  const head = new MergeHead<ReturnType<typeof input>>();
  head.look([input('a', 100), input('b', null, { live: true, inFlight: 1 })], wall, false);
  assert.equal(head.waitFinite, true, 'bytes in the worker');
  head.look([input('a', 100), input('b', null, { live: true, unreadWait: 700 }), input('c', null, { live: true, unreadWait: 300 })], wall, false);
  assert.equal(head.waitUnread, 300, 'the shortest of the sources that named unread bytes');
  head.look([input('a', 100), input('b', null, { live: true })], wall, false);
  assert.equal(head.waitLive, true);
  assert.equal(head.waitFinite, false);
  assert.equal(head.waitUnread, Number.POSITIVE_INFINITY);
});

test('equal keys go to the input opened first, and a look forgets the previous one', () => {
  const head = new MergeHead<ReturnType<typeof input>>();
  const early = [input('first', 100), input('second', 100)];
  head.look(early, wall, false);
  assert.equal(head.best?.name, 'first');
  assert.equal(head.bestTakesTies(early), true);
  // The first-opened input reaches the tie later in its run: the later one yields at the tie.
  const later = [input('first', 100), input('second', 50)];
  head.look(later, wall, false);
  assert.equal(head.best?.name, 'second');
  assert.equal(head.second, 100);
  assert.equal(head.bestTakesTies(later), false);
  head.look([input('x', null, { done: true })], wall, false);
  assert.equal(head.best, null);
  assert.equal(head.runnerUp, null);
  assert.equal(head.waitLive, false);
});
