import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { test } from 'node:test';
import { ProgressLine } from '../../src/cli/progress.js';

function sources(state: { lines: number; done: number; total: number | null; alerts: number }) {
  return { lines: () => state.lines, alerts: () => state.alerts, bytes: () => ({ done: state.done, total: state.total }) };
}

test('the progress line shows the share read, the pace over the last seconds and the time left', () => {
  const s = { lines: 0, done: 0, total: 1_000_000_000, alerts: 0 };
  const p = new ProgressLine(sources(s));
  p.text(0);
  Object.assign(s, { lines: 2_000_000, done: 250_000_000, alerts: 12 });
  const t = p.text(5_000);
  assert.match(t, /^replaying: 25% of 1\.0 GB, 2,000,000 lines, 400,000 lines\/s, 12 alerts, about 0:15 left$/);
});

test('without a known size (stdin) the line has no share and no estimate', () => {
  const s = { lines: 0, done: 0, total: null as number | null, alerts: 0 };
  const p = new ProgressLine(sources(s));
  p.text(0);
  s.lines = 1000;
  assert.equal(p.text(1000), 'replaying: 1,000 lines, 1,000 lines/s, 0 alerts');
});

test('nothing is drawn when stderr is not a terminal', async () => {
  const out = new PassThrough() as unknown as NodeJS.WriteStream;
  let written = '';
  (out as unknown as PassThrough).on('data', (c: Buffer) => (written += c.toString()));
  const p = new ProgressLine(sources({ lines: 1, done: 1, total: 2, alerts: 0 }), out, 5);
  p.start();
  await new Promise((r) => setTimeout(r, 30));
  p.stop();
  assert.equal(written, '');
});

test('on a terminal the line is redrawn in place and cleared before other output', async () => {
  const out = new PassThrough() as unknown as NodeJS.WriteStream & { isTTY: boolean; columns: number };
  out.isTTY = true;
  out.columns = 200;
  let written = '';
  (out as unknown as PassThrough).on('data', (c: Buffer) => (written += c.toString()));
  const p = new ProgressLine(sources({ lines: 10, done: 1, total: 2, alerts: 0 }), out, 5);
  p.start();
  await new Promise((r) => setTimeout(r, 40));
  p.clear();
  const before = written;
  p.stop();
  assert.match(before, /\r\x1b\[2Kreplaying: 50% of 0 kB, 10 lines/);
  assert.ok(before.endsWith('\r\x1b[2K'), 'clear() erases the line');
  assert.equal(written, before, 'stop() after clear() writes nothing more');
});
