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
  t.set('closed', { ts: 0 });
  t.set('gone', { ts: 0 });
  t.collect([], [], 0);
  t.committed(); // both stored
  t.set('closed', { ts: 10_000 }); // window ends at 70 s
  t.set('open', { ts: 100_000 }); // window ends at 160 s
  t.delete('gone');
  assert.deepEqual(collect(t, 120_000), { puts: ['open'], deletes: ['closed', 'gone'] });
  t.committed();
  t.sweep(120_000);
  assert.equal(t.get('closed'), undefined, 'swept: the store and memory agree');
  assert.deepEqual(t.get('open'), { ts: 100_000 });
});

test('an entry set and closed or deleted between two commits was never stored: it costs no delete either', () => {
  const t = new StateTable('rule/detector/uses', codec);
  t.set('seen-once', { ts: 0 }); // window ends at 60 s
  t.set('gone', { ts: 100_000 });
  t.delete('gone');
  t.set('open', { ts: 100_000 });
  assert.deepEqual(collect(t, 120_000), { puts: ['open'], deletes: [] });
  t.committed();
  t.delete('open'); // stored by the commit before: its row must go
  assert.deepEqual(collect(t, 120_000), { puts: [], deletes: ['open'] });
});

test('without a watermark (nothing processed yet) every changed entry is written', () => {
  const t = new StateTable('rule/detector/uses', codec);
  t.set('a', { ts: 0 });
  const puts: StateRow[] = [];
  t.collect(puts, []);
  assert.deepEqual(puts.map((p) => [p.key, p.expires]), [['a', 60_000]]);
});

test('at its capacity, a new key lets the least recently set key go, and the store is told to delete it', () => {
  const t = new StateTable('rule/detector/last-success', { ...codec, capacity: 3 });
  t.set('a', { ts: 1 });
  t.set('b', { ts: 2 });
  t.set('c', { ts: 3 });
  t.set('a', { ts: 4 }); // set again: now the newest
  t.set('d', { ts: 5 }); // lets b go
  t.set('e', { ts: 6 }); // lets c go
  assert.deepEqual(['a', 'b', 'c', 'd', 'e'].filter((k) => t.get(k) !== undefined), ['a', 'd', 'e']);
  assert.deepEqual(collect(t, 0), { puts: ['a', 'd', 'e'], deletes: [] }, 'b and c were never stored');
  t.committed();
  t.set('f', { ts: 7 }); // lets a go, which the commit stored
  assert.deepEqual(collect(t, 0), { puts: ['f'], deletes: ['a'] });
});

test('a bounded table matches a plain LRU list through many sets, resets and deletes', () => {
  // Long enough for V8 to rehash the table many times while keys are let go from its front.
  const cap = 500;
  const t = new StateTable('rule/detector/last-success', { ...codec, capacity: cap });
  const model: string[] = []; // oldest first
  let seed = 7;
  const rand = (n: number) => {
    seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
    return seed % n;
  };
  for (let i = 0; i < 60_000; i++) {
    const key = `k${rand(2_000)}`;
    const at = model.indexOf(key);
    if (rand(10) === 0) {
      t.delete(key);
      if (at >= 0) model.splice(at, 1);
      continue;
    }
    t.set(key, { ts: i });
    if (at >= 0) model.splice(at, 1);
    else if (model.length >= cap) model.shift();
    model.push(key);
  }
  assert.equal(t.size, model.length);
  assert.deepEqual(t.rows().map((r) => r.key), model);
});

test('a stored entry deleted and set again before the commit is not taken for new: closing it again still deletes its row', () => {
  const t = new StateTable('rule/detector/pending', codec);
  t.set('thread-1', { ts: 0 });
  t.collect([], [], 0);
  t.committed();
  t.delete('thread-1');
  t.set('thread-1', { ts: 1_000 });
  t.delete('thread-1');
  assert.deepEqual(collect(t, 0), { puts: [], deletes: ['thread-1'] });
});

test('a stored row this version cannot read is deleted with the next commit', () => {
  const t = new StateTable('rule/detector/uses', { ...codec, decode: (json: string) => (json.startsWith('{') ? (JSON.parse(json) as { ts: number }) : null) });
  t.load({ scope: 'rule/detector/uses', key: 'old-format', state: '[1,2]', expires: null });
  t.load({ scope: 'rule/detector/uses', key: 'fine', state: '{"ts":5}', expires: 60_005 });
  assert.deepEqual(collect(t, 0), { puts: [], deletes: ['old-format'] });
});
