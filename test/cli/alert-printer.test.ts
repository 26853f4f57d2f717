import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import { AlertPrinter } from '../../src/cli/alert-printer.js';
import { makeAlert } from '../helpers/alerts.js';

// replay's stdout: each commit's alerts are written in order, and the output cursor is told
// a commit's position only once that commit's alerts reached the reader, never the position
// of a commit still queued behind them (a kill then would lose those alerts from stdout).

/** A reader that takes a write only when told to. */
class HeldReader extends Writable {
  readonly text: string[] = [];
  private held: Array<() => void> = [];

  constructor() {
    super({ decodeStrings: false });
  }

  override _write(chunk: string | Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text.push(String(chunk));
    this.held.push(done);
  }

  takeOne(): boolean {
    const done = this.held.shift();
    done?.();
    return done !== undefined;
  }
}

const tick = () => new Promise((r) => setImmediate(r));

test("the cursor is moved to a commit's position when its alerts are written, not before, and not to a later commit's", async () => {
  const out = new HeldReader();
  const printer = new AlertPrinter(true, out);
  const printed: number[] = [];
  printer.printed = (through) => printed.push(through);
  const first = [makeAlert({ id: 'a1', dn: 'uid=a,o=T' }), makeAlert({ id: 'a2', dn: 'uid=b,o=T' })];
  const second = [makeAlert({ id: 'b1', dn: 'uid=c,o=T' })];

  await printer.committed(first, 7);
  await printer.committed(second, 12);
  await tick();
  assert.deepEqual(printed, [], 'nothing reached the reader yet');

  assert.ok(out.takeOne());
  await tick();
  assert.deepEqual(printed, [7], 'the first commit only: the second is still queued');

  assert.ok(out.takeOne());
  await tick();
  assert.deepEqual(printed, [7, 12]);
  await printer.flushed();
  const ids = out.text.join('').trim().split('\n').map((l) => (JSON.parse(l) as { id: string }).id);
  assert.deepEqual(ids, ['a1', 'a2', 'b1']);
  assert.equal(printer.raised, 3);
});

test('a commit without alerts moves nothing, and a reader that goes away leaves the cursor where it was', async () => {
  const printed: number[] = [];
  const gone = new Writable({
    write(_chunk, _enc, done) {
      done(new Error('EPIPE'));
    },
  });
  gone.on('error', () => undefined);
  const printer = new AlertPrinter(true, gone);
  printer.printed = (through) => printed.push(through);
  await printer.committed([], 3);
  await printer.committed([makeAlert({ id: 'x1' })], 4);
  await printer.flushed();
  await tick();
  assert.deepEqual(printed, []);
});

test('the reader is behind while a commit finds the alerts of an earlier one still being written, and no longer once one finds them all taken', async () => {
  const out = new HeldReader();
  const printer = new AlertPrinter(true, out);
  await printer.committed([makeAlert({ id: 'a1' })], 1);
  assert.equal(printer.behind, false, 'the first commit found nothing waiting');
  await printer.committed([makeAlert({ id: 'b1' })], 2);
  assert.equal(printer.behind, true, "the first commit's alert is not taken yet");
  while (out.takeOne()) await tick();
  await printer.flushed();
  assert.equal(printer.behind, true, 'said by the commits, not by the reader between them');
  await printer.committed([], 2);
  assert.equal(printer.behind, true, 'a commit without alerts says nothing about the reader');
  await printer.committed([makeAlert({ id: 'c1' })], 3);
  assert.equal(printer.behind, false);
});
