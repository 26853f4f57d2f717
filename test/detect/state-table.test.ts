import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PACK_FROM } from '../../src/components/detect/chunk-text.js';
import { ChunkSequence, PRUNE_FROM, StateTable, type StateRow } from '../../src/components/detect/state-table.js';

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
  t.loadRows([
    { scope: 'rule/detector/uses', key: 'old-format', state: '[1,2]', expires: null },
    { scope: 'rule/detector/uses', key: 'fine', state: '{"ts":5}', expires: 60_005 },
  ]);
  assert.deepEqual(collect(t, 0), { puts: [], deletes: ['old-format'] });
});

// Chunked tables (many keys, each set rarely: an address's last success): a commit writes one
// row for all the keys set since the last, and a start reads the rows back in the order written.

const chunked = { ...codec, chunked: true, capacity: 4 };

function putsOf<S>(t: StateTable<S>, watermark: number): StateRow[] {
  const puts: StateRow[] = [];
  const deletes: Array<{ scope: string; key: string }> = [];
  t.collect(puts, deletes, watermark);
  assert.deepEqual(deletes, [], 'a chunked table deletes nothing');
  t.committed();
  return puts;
}

test('a chunked table writes the keys set since the last commit as one row that expires with the newest of them', () => {
  const t = new StateTable('rule/detector/last-success', chunked);
  t.set('10.0.0.1', { ts: 1_000 });
  t.set('10.0.0.2', { ts: 5_000 });
  t.set('10.0.0.3', { ts: 0 }); // expires at 60 s, before the watermark: not written
  const [row, ...more] = putsOf(t, 61_000);
  assert.equal(more.length, 0);
  assert.equal(row.key, '#chunk/000000000000');
  assert.deepEqual(JSON.parse(row.state), [
    ['10.0.0.1', '{"ts":1000}', 61_000],
    ['10.0.0.2', '{"ts":5000}', 65_000],
  ]);
  assert.equal(row.expires, 65_000);
  assert.deepEqual(putsOf(t, 61_000), [], 'nothing set since: no row');
  t.set('10.0.0.1', { ts: 70_000 });
  assert.deepEqual(
    putsOf(t, 70_000).map((r) => [r.key, r.state]),
    [['#chunk/000000000001', '[["10.0.0.1","{\\"ts\\":70000}",130000]]']],
  );
  assert.throws(() => t.delete('10.0.0.1'), /deletes no key/);
});

test('a start reads the chunks in the order written (the latest value wins), after the rows of single keys, and keeps the capacity', () => {
  const scope = 'rule/detector/last-success';
  const chunk = (n: number, entries: Array<[string, number]>): StateRow => ({
    scope,
    key: `#chunk/${String(n).padStart(12, '0')}`,
    state: JSON.stringify(entries.map(([k, ts]) => [k, JSON.stringify({ ts })])),
    expires: null,
  });
  const seq = new ChunkSequence();
  const t = new StateTable(scope, chunked, seq);
  // Given out of order, with a row written by a version that stored a row per key.
  t.loadRows([
    chunk(10, [['b', 30], ['e', 31]]),
    chunk(2, [['a', 10], ['b', 11], ['c', 12]]),
    { scope, key: 'a', state: '{"ts":1}', expires: null },
    chunk(7, [['d', 20], ['a', 21]]),
    { scope, key: '#chunk/000000000011', state: 'damaged', expires: null },
  ]);
  // Set order: c (12), b, d, a, then b again and e: c is the least recently set and goes.
  assert.deepEqual(['a', 'b', 'c', 'd', 'e'].map((k) => t.get(k)?.ts ?? null), [21, 30, null, 20, 31]);
  assert.equal(t.size, 4);
  t.set('f', { ts: 40 }); // the capacity lets d go: it was set before a and b
  assert.equal(t.get('d'), undefined);
  assert.deepEqual(putsOf(t, 0).map((r) => r.key), ['#chunk/000000000012'], 'numbered after every chunk seen, the damaged one too');
  // Another table of the same engine (a rules reload) goes on from the same sequence.
  const after = new StateTable(scope, chunked, seq);
  after.loadRows(t.rows());
  after.set('g', { ts: 50 });
  assert.deepEqual(putsOf(after, 0).map((r) => r.key), ['#chunk/000000000013']);
  assert.deepEqual(after.get('f'), { ts: 40 }, 'the state in force carried over');
});

test("a codec with a JSON value writes it into the chunk as it is, once encoded; a start reads those and chunks of encode's text alike", () => {
  const scope = 'rule/detector/uses';
  const valued = {
    ...chunked,
    toJson: (s: { ts: number }) => [s.ts],
    fromJson: (v: unknown) => (Array.isArray(v) && typeof v[0] === 'number' ? { ts: v[0] } : null),
  };
  const t = new StateTable(scope, valued);
  t.set('10.0.0.1', { ts: 1_000 });
  t.set('10.0.0.2', { ts: 5_000 });
  const [row] = putsOf(t, 0);
  assert.equal(row.state, '[["10.0.0.1",[1000],61000],["10.0.0.2",[5000],65000]]', 'no JSON text inside the JSON');

  // A chunk written before values (each state encode's text), then this one: the latest value wins.
  const older: StateRow = { scope, key: '#chunk/000000000000', state: JSON.stringify([['10.0.0.1', '{"ts":1}'], ['10.0.0.3', '{"ts":3}']]), expires: null };
  const unreadable: StateRow = { scope, key: '#chunk/000000000002', state: JSON.stringify([['10.0.0.4', { ts: 4 }], ['10.0.0.5', [5]]]), expires: null };
  const next = new StateTable(scope, valued);
  next.loadRows([unreadable, { ...row, key: '#chunk/000000000001' }, older]);
  assert.deepEqual(
    ['10.0.0.1', '10.0.0.2', '10.0.0.3', '10.0.0.4', '10.0.0.5'].map((k) => next.get(k)?.ts ?? null),
    [1_000, 5_000, 3, null, 5],
    'a value fromJson cannot read is no state',
  );
});

test('a large chunk is stored compressed, as text, and a start reads it as the same entries; a small one stays JSON', () => {
  const scope = 'rule/detector/uses';
  type Use = { ts: number; line: string };
  const uses = {
    encode: (s: Use) => JSON.stringify(s),
    decode: (json: string) => JSON.parse(json) as Use,
    expires: (s: Use) => s.ts + 600_000,
    chunked: true,
    toJson: (s: Use) => [s.ts, s.line],
    fromJson: (v: unknown) => (Array.isArray(v) && typeof v[0] === 'number' && typeof v[1] === 'string' ? { ts: v[0], line: v[1] } : null),
  };
  // A session's evidence line each, as a commit of a busy replay holds thousands.
  const line = (i: number) =>
    `[2026-03-02 03:59:${String(i % 60).padStart(2, '0')},907][XNIO-1 task-4] INFO  AccessLog - [AuSuccess] - k8sIdp - https://k8sou.example.com/auth/idp/k8sIdp/auth - uid=user${i},ou=shadow,o=Tremolo - 20 / oauth2k8s [172.21.${i % 250}.176] - [f21da${i}]`;
  const t = new StateTable<Use>(scope, uses);
  const n = 2_000;
  for (let i = 0; i < n; i++) t.set(`session-${i}`, { ts: i, line: line(i) });
  const [big] = putsOf(t, 0);
  const json = JSON.stringify(Array.from({ length: n }, (_, i) => [`session-${i}`, [i, line(i)], i + 600_000]));
  assert.ok(json.length >= PACK_FROM);
  assert.ok(!big.state.startsWith('['), 'not stored as its JSON');
  assert.ok(big.state.length * 4 < json.length, `at least 4 times smaller: ${big.state.length} of ${json.length}`);
  assert.match(big.state, /^[\x20-\x7e]+$/, 'printable text: a row every store holds as text');

  t.set('session-late', { ts: 5, line: line(5) });
  const [small] = putsOf(t, 0);
  assert.deepEqual(JSON.parse(small.state), [['session-late', [5, line(5)], 600_005]], 'a small chunk is its JSON');

  const next = new StateTable<Use>(scope, uses);
  next.loadRows([small, big]);
  assert.equal(next.size, n + 1);
  assert.deepEqual(next.get('session-1234'), { ts: 1234, line: line(1234) });
  assert.deepEqual(next.get('session-late'), { ts: 5, line: line(5) });

  // Damaged on disk: no state from it, and no failure (a start must go on).
  const damaged = new StateTable<Use>(scope, uses);
  damaged.loadRows([{ ...big, state: `${big.state.slice(0, 100)}${big.state.slice(200)}` }, small]);
  assert.equal(damaged.size, 1);
});

test('between commits a table grown to PRUNE_FROM entries forgets those closed, as the commit would; what it then writes is unchanged', () => {
  const t = new StateTable('rule/detector/windows', codec);
  t.set('stored-closed', { ts: 0 });
  t.set('stored-open', { ts: 0 });
  t.collect([], [], 0);
  t.committed();
  t.set('stored-closed', { ts: 1_000 }); // changed since, closed at 61 s
  t.set('stored-open', { ts: 200_000 });
  // A spray: one entry per address, each seen once, all closed by 200 s.
  for (let i = 0; i < PRUNE_FROM - 3; i++) t.set(`10.${i >> 16}.${(i >> 8) & 255}.${i & 255}`, { ts: i % 100_000 });
  t.pruneIfLarge(200_000);
  assert.equal(t.size, PRUNE_FROM - 1, 'below PRUNE_FROM: nothing looked at');
  t.set('fresh-open', { ts: 190_000 });
  t.pruneIfLarge(200_000);
  assert.deepEqual([t.size, t.get('stored-open'), t.get('fresh-open'), t.get('stored-closed')], [2, { ts: 200_000 }, { ts: 190_000 }, undefined]);
  // The closed ones never stored leave no trace; the stored one that closed is deleted.
  assert.deepEqual(collect(t, 200_000), { puts: ['stored-open', 'fresh-open'], deletes: ['stored-closed'] });
  // The next look waits until the table has grown again (PRUNE_FROM, or twice its size after this one).
  t.set('closed-again', { ts: 0 });
  t.pruneIfLarge(200_000);
  assert.equal(t.get('closed-again')?.ts, 0);
});
