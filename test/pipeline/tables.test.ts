import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { InputRegistration } from '../../src/core/inputs.js';
import { MAX_BATCH_BYTES, type EventBatch } from '../../src/pipeline/batch.js';
import { EventView } from '../../src/pipeline/event-view.js';
import { Feed, type FeedOwner } from '../../src/pipeline/feed.js';
import { MainTables } from '../../src/pipeline/tables.js';
import { InputParser } from '../../src/pipeline/worker/input-parser.js';
import { TABLE_CAPACITY, WorkerTables, type TableCapacity } from '../../src/pipeline/worker/tables.js';
import { accessLine } from '../helpers/lines.js';
import { describer } from '../parse/scan.js';

// The worker gives each distinct DN, address, session and thread an id and sends each value
// once; the main thread keeps the values by id in rings of fixed size and pins a batch's
// values as it arrives. The rings must hold every id one batch can refer to: the ids of the
// worker's current table (which starts over when full) and the new ones the batch brings.

function parser(tables: WorkerTables): InputParser {
  return new InputParser({ input: 0, startOffset: 0, startLineNo: 0, timeZone: 'UTC', maxLineBytes: 1 << 20, format: null }, tables);
}

/** Events of a batch as the main thread reads them once it arrived (additions applied, then pinned). */
function arrive(main: MainTables, b: EventBatch): Array<{ ip: string | undefined; session: string | null; dn: string | undefined }> {
  main.apply(b.added);
  main.pin(b);
  const view = new EventView(main);
  const out = [];
  for (let i = 0; i < b.count; i++) {
    const e = view.at(b, i, 0, 'a.log');
    out.push({ ip: e.address?.ip, session: e.sessionId, dn: e.dn?.dn });
  }
  return out;
}

const ipOf = (n: number) => `81.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;

describe("the main thread's tables", () => {
  test('a batch naming a value from the start of a full table, then a new one (the table starts over), reads both as logged', () => {
    const capacity: TableCapacity = { dns: 64, ips: 64, sessions: 64, threads: 64 };
    const worker = new WorkerTables(describer, capacity);
    const main = new MainTables(capacity);
    const p = parser(worker);
    // Each step brings a new address and session, then names again the ones of almost a whole
    // table before (the first of the worker's current table, at the steps just before it starts
    // over): the worst a batch can do. 24 lines a batch: 12 new values, under the capacity.
    const expected: Array<{ ip: string; session: string; dn: string }> = [];
    let lines: string[] = [];
    let checked = 0;
    const flush = () => {
      const got = arrive(main, p.chunk(Buffer.from(lines.map((l) => l + '\n').join(''))));
      assert.deepEqual(got, expected.slice(checked, checked + got.length));
      checked += got.length;
      lines = [];
    };
    for (let n = 0; n < 64 * 12; n++) {
      for (const k of [n, Math.max(0, n - 62)]) {
        const e = { ip: ipOf(k), session: `s${k}`, dn: `uid=u${k},o=T` };
        expected.push(e);
        lines.push(accessLine(e));
      }
      if (lines.length === 24) flush();
    }
    if (lines.length > 0) flush();
    assert.equal(checked, 64 * 12 * 2);
    assert.ok(worker.ips.issued > 64 * 10, `the address table started over ${Math.floor(worker.ips.issued / 64)} times`);
  });

  test('one batch of the densest access lines brings fewer new addresses and sessions than their tables hold', () => {
    // The shortest access line the scanner takes (empty thread, one-letter fields), a new address and session on each.
    const line = (n: number) => accessLine({ thread: '', app: 'a', url: 'u', dn: 'd', msg: 'm', ip: `1.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`, session: `${n}` });
    const parts: string[] = [];
    let bytes = 0;
    for (let n = 0; bytes < MAX_BATCH_BYTES; n++) {
      const l = line(n) + '\n';
      parts.push(l);
      bytes += l.length;
    }
    const tables = new WorkerTables(describer);
    const b = parser(tables).chunk(Buffer.from(parts.join('')).subarray(0, MAX_BATCH_BYTES));
    assert.ok(b.count > 10_000, `${b.count} events in one batch`);
    const newIps = b.added.ips.length / 2;
    const newSessions = b.added.sessions.length / 2;
    assert.ok(newIps <= TABLE_CAPACITY.ips && newSessions <= TABLE_CAPACITY.sessions, `${newIps} addresses, ${newSessions} sessions`);
  });

  test('one batch of the densest access lines, each naming a new DN after the oldest of a full DN table, reads every DN as logged', () => {
    // A DN table of 4,096, a quarter of the default: one batch can bring more than twice as many new DNs.
    const capacity: TableCapacity = { ...TABLE_CAPACITY, dns: 4_096 };
    const worker = new WorkerTables(describer, capacity);
    const main = new MainTables(capacity);
    const p = parser(worker);
    const line = (n: number) => accessLine({ thread: '', app: 'a', url: 'u', dn: `d${n}`, msg: 'm', ip: '1.2.3.4', session: 's' }) + '\n';
    // The worker's DN table one short of full: the next batch names its oldest DN, then only new ones.
    const fill = Array.from({ length: capacity.dns - 1 }, (_, n) => line(n)).join('');
    assert.equal(arrive(main, p.chunk(Buffer.from(fill))).length, capacity.dns - 1);
    const parts = [line(0)];
    let bytes = parts[0].length;
    for (let n = capacity.dns; ; n++) {
      const l = line(n);
      if (bytes + l.length > MAX_BATCH_BYTES) break;
      parts.push(l);
      bytes += l.length;
    }
    const b = p.chunk(Buffer.from(parts.join('')));
    const newDns = b.added.dns.length / 2;
    assert.ok(newDns > 2 * capacity.dns, `${newDns} new DNs in one batch, the table holding ${capacity.dns}`);
    const got = arrive(main, b).map((e) => e.dn);
    assert.equal(got.length, parts.length);
    assert.equal(got[0], 'd0');
    assert.equal(got[got.length - 1], `d${capacity.dns + parts.length - 2}`);
    assert.deepEqual(got.slice(1, 4), [`d${capacity.dns}`, `d${capacity.dns + 1}`, `d${capacity.dns + 2}`]);
  });

  test("the oldest DN id still to come is the worker's floor: every DN of a later batch is at or above it, and it is within one table of the newest", () => {
    const capacity: TableCapacity = { ...TABLE_CAPACITY, dns: 256 };
    const worker = new WorkerTables(describer, capacity);
    const main = new MainTables(capacity);
    const p = parser(worker);
    const line = (n: number) => accessLine({ dn: `uid=u${n},o=T`, ip: '10.0.0.1', session: 's' }) + '\n';
    let newest = -1;
    let rising = 0;
    // 400 batches of 40 lines: new people, and people seen a few batches before (some of them gone from the table since).
    for (let k = 0; k < 400; k++) {
      const floor = main.oldestLiveDnId;
      const b = p.chunk(Buffer.from(Array.from({ length: 40 }, (_, i) => line(i % 4 === 0 ? Math.max(0, k * 30 - 200 + i) : k * 30 + i)).join('')));
      for (let i = 0; i < b.count; i++) assert.ok(b.dns[i] >= floor, `batch ${k}: DN id ${b.dns[i]} below the floor ${floor} set before it`);
      arrive(main, b);
      for (let i = 0; i < b.count; i++) newest = Math.max(newest, b.dns[i]);
      if (main.oldestLiveDnId > floor) rising++;
      // Users held are those of the ids in use: one table, not twice (the bound before the worker sent its floor).
      assert.ok(main.oldestLiveDnId >= newest + 1 - capacity.dns, `floor ${main.oldestLiveDnId}, newest id ${newest}`);
    }
    assert.ok(rising > 30, `the floor rose ${rising} times`);
  });

  test('a source chunk larger than a batch is sent in parts of at most MAX_BATCH_BYTES, in order, each awaited as one', () => {
    const sent: Buffer[] = [];
    const owner: FeedOwner = { send: (_f, chunk) => void sent.push(chunk), sendEnd: () => undefined, abandon: () => undefined, wake: () => undefined, roomToReadAhead: () => false, readAheadLimit: Infinity, lendBuffer: (bytes) => Buffer.alloc(bytes) };
    const reg: InputRegistration = { origin: 'a.log', identity: { kind: 'none' }, startOffset: 0, startLineNo: 0, live: false };
    const feed = new Feed(0, reg, owner);
    const big = Buffer.alloc(MAX_BATCH_BYTES * 2 + 5, 'x');
    big.write('end', big.length - 3);
    feed.push(big);
    assert.deepEqual(sent.map((c) => c.length), [MAX_BATCH_BYTES, MAX_BATCH_BYTES, 5]);
    assert.equal(Buffer.concat(sent).toString('latin1', big.length - 3), 'end');
    assert.equal(feed.inFlight, 3);
    feed.push(Buffer.from('small'));
    assert.equal(sent.length, 4);
    assert.equal(feed.inFlight, 4);
  });
});

describe("the main thread's names of countries and AS organisations", () => {
  test('each address keeps its own country and AS name, past the point where the shared names start again', () => {
    const main = new MainTables();
    const n = 20_000;
    const ips: Array<number | string> = [];
    const ipInfos = [];
    for (let k = 0; k < n; k++) {
      ips.push(k, ipOf(k));
      ipInfos.push({ valid: true, public: true, net: null, country: k % 2 === 0 ? 'SE' : 'DE', lat: 1, lon: 2, radiusKm: 20, asn: k, asOrg: `Org ${k}` });
    }
    // Applied in parts, as batches bring them (a ring holds twice the worker's table).
    for (let from = 0; from < n; from += 5_000) {
      main.apply({ dns: [], dnSha1s: [], dnFloor: 0, ips: ips.slice(2 * from, 2 * (from + 5_000)), ipInfos: ipInfos.slice(from, from + 5_000), sessions: [], threads: [] });
      for (let k = from; k < from + 5_000; k++) {
        const a = main.ips.get(k);
        assert.equal(a.asOrg, `Org ${k}`);
        assert.equal(a.country, k % 2 === 0 ? 'SE' : 'DE');
        assert.equal(a.asn, k);
        assert.equal(a.radiusKm, 20);
      }
    }
    const none = new MainTables();
    none.apply({ dns: [], dnSha1s: [], dnFloor: 0, ips: [0, '10.0.0.1'], ipInfos: [{ valid: true, public: false, net: '10.0.0.0/24', country: null, lat: null, lon: null, radiusKm: null, asn: null, asOrg: null }], sessions: [], threads: [] });
    assert.equal(none.ips.get(0).country, null);
    assert.equal(none.ips.get(0).asOrg, null);
  });
});
