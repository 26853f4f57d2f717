import assert from 'node:assert/strict';
import { test } from 'node:test';
import { StateTable, type StateRow } from '../../src/components/detect/state-table.js';

// Detector state: what a commit writes must equal what memory holds after the commit's sweep,
// so a restarted run decides exactly as an uninterrupted one, and no more than that is written.

const codec = {
  encode: (s: { ts: number }) => JSON.stringify(s),
  decode: (json: string) => JSON.parse(json) as { ts: number },
  expires: (s: { ts: number }) => s.ts + 60_000,
};

function collect(t: StateTable<{ ts: number }>, watermark: number) {
  const puts: StateRow[] = [];
  const deletes: Array<{ scope: string; key: string }> = [];
  t.collect(puts, deletes, watermark);
  return { puts: puts.map((p) => p.key), deletes: deletes.map((d) => d.key) };
}

test('an entry whose window closed before the commit is deleted, not written, and is gone from memory after it', () => {
  const t = new StateTable('rule/detector/uses', codec);
  t.set('closed', { ts: 0 }); // window ends at 60 s
  t.set('open', { ts: 100_000 }); // window ends at 160 s
  t.set('gone', { ts: 100_000 });
  t.delete('gone');
  assert.deepEqual(collect(t, 120_000), { puts: ['open'], deletes: ['closed', 'gone'] });
  t.committed();
  t.sweep(120_000);
  assert.equal(t.get('closed'), undefined, 'swept: the store and memory agree');
  assert.deepEqual(t.get('open'), { ts: 100_000 });
});

test('without a watermark (nothing processed yet) every changed entry is written', () => {
  const t = new StateTable('rule/detector/uses', codec);
  t.set('a', { ts: 0 });
  const puts: StateRow[] = [];
  t.collect(puts, []);
  assert.deepEqual(puts.map((p) => [p.key, p.expires]), [['a', 60_000]]);
});
