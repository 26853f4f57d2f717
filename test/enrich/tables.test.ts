import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { ByteInterner } from '../../src/pipeline/worker/byte-interner.js';
import { WorkerTables } from '../../src/pipeline/worker/tables.js';
import { accessLine } from '../helpers/lines.js';
import { describer, parseText } from '../parse/scan.js';

// The ingest worker gives every distinct DN, address, session and thread an integer id, so
// the main thread keys its state by numbers and each string crosses the thread boundary once.
// What is known about a value (a DN's SHA-1, an address's validity, network and location) is
// worked out once, when its id is assigned, and sent with it. Memory is bounded: a full table
// starts over, and a value seen again gets a new id and is sent again.

const bytes = (s: string) => Buffer.from(s);
const idOf = (t: ByteInterner, s: string) => {
  const b = bytes(s);
  return t.id(b, 0, b.length);
};
/** [id, value] pairs as takeAdded gives them. */
const pairs = (added: Array<number | string>) => {
  const out: Array<[number, string]> = [];
  for (let k = 0; k < added.length; k += 2) out.push([added[k] as number, added[k + 1] as string]);
  return out;
};

describe('interning bytes', () => {
  test('equal bytes get the same id wherever they lie; ids are handed out in order; each value is sent once', () => {
    const t = new ByteInterner(100);
    const line = bytes('xx uid=a,o=T yy uid=a,o=T');
    const a1 = t.id(line, 3, 12);
    const a2 = t.id(line, 16, 25);
    const b = idOf(t, 'uid=b,o=T');
    assert.equal(a1, a2);
    assert.deepEqual([a1, b], [0, 1]);
    assert.deepEqual(pairs(t.takeAdded()), [[0, 'uid=a,o=T'], [1, 'uid=b,o=T']]);
    assert.equal(idOf(t, 'uid=a,o=T'), 0);
    assert.deepEqual(t.takeAdded(), [], 'nothing new');
  });

  test('values are sent as UTF-8 text, whatever they hold', () => {
    const t = new ByteInterner(100);
    for (const s of ['cn=山田太郎,o=T', 'cn=rocket 🚀', 'cn=Smith\\, John', '']) idOf(t, s);
    assert.deepEqual(pairs(t.takeAdded()).map((p) => p[1]), ['cn=山田太郎,o=T', 'cn=rocket 🚀', 'cn=Smith\\, John', '']);
  });

  test('prefixes and near-equal values are different values', () => {
    const t = new ByteInterner(1000);
    const values = ['a', 'ab', 'abc', 'b', 'ba', 'A', 'a ', ' a'];
    const ids = values.map((v) => idOf(t, v));
    assert.equal(new Set(ids).size, values.length);
    assert.deepEqual(values.map((v) => idOf(t, v)), ids);
  });

  test('many distinct values (more than fit one table) all round-trip to their own text', () => {
    const t = new ByteInterner(4096);
    const seen = new Map<number, string>();
    for (let i = 0; i < 20_000; i++) {
      const v = `81.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
      const id = idOf(t, v);
      for (const [k, s] of pairs(t.takeAdded())) seen.set(k, s);
      assert.equal(seen.get(id), v);
    }
  });

  test('a table grows as it fills: every value keeps its id through the growth, and only a full table starts over', () => {
    const t = new ByteInterner(50_000); // starts with 1,024 slots, grows to 131,072
    const values = Array.from({ length: 50_000 }, (_, i) => `uid=user${i},ou=people,o=Tremolo`);
    const ids = values.map((v) => idOf(t, v));
    assert.deepEqual(ids, values.map((_, i) => i));
    assert.equal(pairs(t.takeAdded()).length, 50_000);
    assert.deepEqual(values.map((v) => idOf(t, v)), ids, 'the same ids after growing');
    assert.deepEqual(t.takeAdded(), [], 'nothing sent again');
    assert.equal(t.floor, 0, 'still the first table');
    assert.equal(idOf(t, 'uid=one-more'), 50_000);
    assert.equal(t.floor, 50_000, 'the value past the capacity starts a new table');
  });

  test('a full table starts over: a value seen again gets a new, higher id and is sent again', () => {
    const t = new ByteInterner(4);
    for (const v of ['a', 'b', 'c', 'd']) idOf(t, v);
    t.takeAdded();
    assert.equal(idOf(t, 'a'), 0, 'still in the full table');
    assert.equal(idOf(t, 'e'), 4, 'the fifth value starts a new table');
    const again = idOf(t, 'a');
    assert.equal(again, 5);
    assert.deepEqual(pairs(t.takeAdded()), [[4, 'e'], [5, 'a']]);
    assert.equal(idOf(t, 'a'), 5);
    assert.equal(t.issued, 6);
  });

  test('its floor is the first id of the current table: no id below it is returned again, however often its value comes back', () => {
    const t = new ByteInterner(4);
    for (const v of ['a', 'b', 'c', 'd']) idOf(t, v);
    assert.equal(t.floor, 0, 'the first table');
    idOf(t, 'e');
    assert.equal(t.floor, 4, 'the second table starts at the fifth id');
    for (let round = 0; round < 3; round++) {
      for (const v of ['a', 'b', 'c', 'd', 'e', 'f', 'g']) {
        const floor = t.floor;
        const id = idOf(t, v);
        assert.ok(id >= floor, `${v}: id ${id} below the floor ${floor}`);
      }
    }
    // 4 + 3 rounds of 7 values in tables of 4: the current table holds the last ids handed out.
    assert.ok(t.floor > t.issued - 4 - 1 && t.floor <= t.issued - 1, `floor ${t.floor}, issued ${t.issued}`);
  });
});

describe('the worker tables', () => {
  test('each distinct address is described once, when its id is assigned, and sent with it', () => {
    const tables = new WorkerTables(describer);
    const ips = ['8.8.8.8', '81.2.69.142', '10.0.0.1'];
    const ids: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const b = bytes(ips[i % 3]);
      ids.push(tables.ipId(b, 0, b.length));
    }
    const added = tables.takeAdded();
    assert.deepEqual(pairs(added.ips), [[0, '8.8.8.8'], [1, '81.2.69.142'], [2, '10.0.0.1']]);
    assert.deepEqual(added.ipInfos.map((a) => a.country), ['US', 'GB', null]);
    assert.deepEqual(new Set(ids), new Set([0, 1, 2]));
  });

  test('an invalid address has no id (-1) every time it appears, and is described once', () => {
    const tables = new WorkerTables(describer);
    const bad = bytes('999.1.1.1');
    assert.equal(tables.ipId(bad, 0, bad.length), -1);
    assert.equal(tables.ipId(bad, 0, bad.length), -1);
    const good = bytes('81.2.69.142');
    assert.equal(tables.ipId(good, 0, good.length), 1);
    const added = tables.takeAdded();
    assert.deepEqual(added.ipInfos.map((a) => a.valid), [false, true]);
  });

  test('DNs are sent with their SHA-1 (of the bytes as logged)', () => {
    const tables = new WorkerTables(describer);
    const dns = ['uid=mmosley,ou=shadow,o=Tremolo', 'uid=jürgen.müller,o=Tremolo', 'uid=mmosley,ou=shadow,o=Tremolo'];
    for (const dn of dns) {
      const b = bytes(dn);
      tables.dnId(b, 0, b.length);
    }
    const added = tables.takeAdded();
    assert.deepEqual(pairs(added.dns).map((p) => p[1]), dns.slice(0, 2));
    assert.deepEqual(added.dnSha1s, dns.slice(0, 2).map((d) => createHash('sha1').update(d, 'utf8').digest('hex')));
    assert.equal(added.dnSha1s[0], '5204c08a79c11dbdc2fdda1e07bc866fb4f22888');
  });

  test('events of thousands of users each carry their own DN, hash, address and session', () => {
    const lines: string[] = [];
    for (let i = 0; i < 3000; i++) lines.push(accessLine({ dn: `uid=user${i % 1500},o=Tremolo`, ip: `81.2.${(i >> 8) & 255}.${i & 255}`, session: `s${i % 700}` }));
    const { events } = parseText(lines.join('\n') + '\n');
    assert.equal(events.length, 3000);
    events.forEach((e, i) => {
      assert.equal(e.dn?.dn, `uid=user${i % 1500},o=Tremolo`);
      assert.equal(e.dn?.sha1, createHash('sha1').update(`uid=user${i % 1500},o=Tremolo`).digest('hex'));
      assert.equal(e.address?.ip, `81.2.${(i >> 8) & 255}.${i & 255}`);
      assert.equal(e.sessionId, `s${i % 700}`);
    });
    assert.equal(new Set(events.map((e) => e.dnId)).size, 1500, 'one id per distinct DN');
  });
});
