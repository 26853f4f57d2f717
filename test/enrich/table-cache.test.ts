import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, symlinkSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { Worker } from 'node:worker_threads';
import { parseAddress } from '../../src/core/ip-address.js';
import { GeoTable } from '../../src/components/enrich/geo-table.js';
import type { Residency } from '../../src/components/enrich/residency.js';
import { CachedTable, type LoadRequest } from '../../src/components/enrich/table-cache.js';
import { writeGeoipData, type GeoRecord } from '../helpers/geo-data.js';
import { tempDir } from '../helpers/tmp.js';

// Built tables are cached as one binary file, keyed by the data they come from. The cache is
// only an optimisation: a missing, stale, damaged or unsafely placed file means building again.

const V4: GeoRecord[] = [
  { start: '1.0.0.0', end: '1.0.0.255', location: 0, lat: 48.8582, lon: 2.3387 },
  { start: '5.0.0.0', end: '5.255.255.255', location: 1, lat: 52.5, lon: 13.4 },
];
const V6: GeoRecord[] = [{ start: '2001:200::', end: '2001:200:ffff:ffff:ffff:ffff:ffff:ffff', location: 1, lat: 52.5, lon: 13.4 }];
const PROBES = ['1.0.0.1', '5.1.2.3', '2001:200::1', '6.0.0.1', '2001:201::'];

function setup(): { dataDir: string; cacheDir: string } {
  const root = tempDir();
  const dataDir = join(root, 'data');
  mkdirSync(dataDir);
  writeGeoipData(dataDir, { countries: ['FR', 'DE'], v4: V4, v6: V6 });
  return { dataDir, cacheDir: join(root, 'cache') };
}

const answers = (t: GeoTable) => PROBES.map((ip) => t.lookup(parseAddress(ip)!));

describe('the table cache', () => {
  test('the first load builds the table and writes the cache; the next one reads it and answers the same', () => {
    const { dataDir, cacheDir } = setup();
    const first = new GeoTable({ dataDir, cacheDir });
    const built = first.preload();
    assert.equal(built.source, 'built');
    assert.equal(built.cacheNote, null);
    assert.ok(built.cacheFile !== null && built.cacheFile.startsWith(cacheDir));
    assert.equal(statSync(cacheDir).mode & 0o777, 0o700, 'the directory it creates is private');
    assert.equal(statSync(built.cacheFile).mode & 0o777, 0o600);

    const second = new GeoTable({ dataDir, cacheDir });
    const cached = second.preload();
    assert.equal(cached.source, 'cache');
    assert.equal(cached.cacheFile, built.cacheFile);
    assert.equal(cached.bytes, built.bytes);
    assert.deepEqual(answers(second), answers(first));
    assert.equal(answers(second)[1]?.country, 'DE');
  });

  test('new data makes a new cache file; the newest few stay (two installations keep theirs), older ones are removed', () => {
    const { dataDir, cacheDir } = setup();
    const old = new GeoTable({ dataDir, cacheDir }).preload();
    writeGeoipData(dataDir, { countries: ['FR', 'DE', 'JP'], v4: [...V4, { start: '6.0.0.0', end: '6.0.0.255', location: 2, lat: 35.69, lon: 139.69 }], v6: V6 });
    const t = new GeoTable({ dataDir, cacheDir });
    const load = t.preload();
    assert.equal(load.source, 'built');
    assert.notEqual(load.cacheFile, old.cacheFile);
    assert.equal(t.lookup(parseAddress('6.0.0.1')!)?.country, 'JP');
    // The previous installation's file is still there: going back to it reads it, nothing is rebuilt.
    assert.deepEqual(readdirSync(cacheDir).sort(), [old.cacheFile!, load.cacheFile!].map((f) => f.slice(cacheDir.length + 1)).sort());
    const files = [old.cacheFile!, load.cacheFile!];
    for (let k = 0; k < 4; k++) {
      writeGeoipData(dataDir, { countries: ['FR', 'DE', `X${k}`], v4: [...V4, { start: `7.0.${k}.0`, end: `7.0.${k}.255`, location: 2, lat: 1, lon: 2 }], v6: V6 });
      files.push(new GeoTable({ dataDir, cacheDir }).preload().cacheFile!);
    }
    assert.deepEqual(readdirSync(cacheDir).sort(), files.slice(-4).map((f) => f.slice(cacheDir.length + 1)).sort(), 'the four newest');
  });

  test('a cache file read counts as new: the installation in use keeps its file while others write theirs', () => {
    const { dataDir, cacheDir } = setup();
    const root = dirname(dataDir);
    // Written long ago, read at every start since.
    const inUse = new GeoTable({ dataDir, cacheDir }).preload().cacheFile!;
    const longAgo = Date.now() / 1000 - 1_000;
    utimesSync(inUse, longAgo, longAgo);
    for (let k = 0; k < 5; k++) {
      // Another installation (its own data directory) writes its file, written later than ours.
      const other = join(root, `other-${k}`);
      mkdirSync(other);
      writeGeoipData(other, { countries: ['FR', 'DE'], v4: V4, v6: V6 });
      const written = new GeoTable({ dataDir: other, cacheDir }).preload();
      assert.equal(written.source, 'built');
      utimesSync(written.cacheFile!, longAgo + 100 + k, longAgo + 100 + k);
      assert.equal(new GeoTable({ dataDir, cacheDir }).preload().source, 'cache', `start ${k + 1} of the installation in use read its file`);
    }
    assert.ok(readdirSync(cacheDir).includes(basename(inUse)));
    assert.equal(readdirSync(cacheDir).length, 4);
  });

  test('a damaged cache file is rejected and the table rebuilt (and the file rewritten)', () => {
    const { dataDir, cacheDir } = setup();
    const file = new GeoTable({ dataDir, cacheDir }).preload().cacheFile!;
    const bytes = readFileSync(file);
    const headerEnd = 12 + bytes.readUInt32LE(8);
    bytes.fill(0xff, headerEnd);
    writeFileSync(file, bytes);
    const t = new GeoTable({ dataDir, cacheDir });
    const load = t.preload();
    assert.equal(load.source, 'built');
    assert.match(load.cacheNote ?? '', /cache file rejected/);
    assert.equal(answers(t)[0]?.country, 'FR');
    assert.equal(new GeoTable({ dataDir, cacheDir }).preload().source, 'cache');
  });

  test('a changed byte that leaves the table well-formed is caught by the checksum, not served', () => {
    const { dataDir, cacheDir } = setup();
    const file = new GeoTable({ dataDir, cacheDir }).preload().cacheFile!;
    const bytes = readFileSync(file);
    const headerLength = bytes.readUInt32LE(8);
    const header = JSON.parse(bytes.toString('utf8', 12, 12 + headerLength)) as { sections: Array<{ name: string; type: string; length: number }> };
    const width: Record<string, number> = { u8: 1, u16: 2, u32: 4, i32: 4 };
    let at = (12 + headerLength + 7) & ~7;
    for (const s of header.sections) {
      if (s.name === 'countryCodes') break;
      at = (at + s.length * width[s.type] + 7) & ~7;
    }
    assert.equal(bytes.toString('latin1', at, at + 2), 'FR');
    bytes.write('GR', at, 'latin1'); // still two letters: every range and place stays valid
    writeFileSync(file, bytes);
    const t = new GeoTable({ dataDir, cacheDir });
    const load = t.preload();
    assert.equal(load.source, 'built');
    assert.match(load.cacheNote ?? '', /cache file rejected \(checksum of page \d+ does not match\)/);
    assert.equal(answers(t)[0]?.country, 'FR');
    assert.equal(new GeoTable({ dataDir, cacheDir }).preload().source, 'cache', 'the rewritten file is read again');
  });

  test('damage that only a lookup meets is caught at that lookup, which is answered from a rebuilt table', () => {
    const { dataDir, cacheDir } = setup();
    const file = new GeoTable({ dataDir, cacheDir }).preload().cacheFile!;
    const bytes = readFileSync(file);
    const body = (12 + bytes.readUInt32LE(8) + 7) & ~7;
    // The buckets come first: those of 5.1.0.0/16 and 5.2.0.0/16 now point at the FR range
    // (the first page of the file's body; the country codes that opening reads are further on).
    assert.equal(bytes.readUInt32LE(body + 0x0501 * 4), 3);
    bytes.writeUInt32LE(1, body + 0x0501 * 4);
    bytes.writeUInt32LE(1, body + 0x0502 * 4);
    writeFileSync(file, bytes);
    const t = new GeoTable({ dataDir, cacheDir });
    assert.equal(t.preload().source, 'cache', 'opening reads only the country codes');
    assert.equal(t.lookup(parseAddress('5.1.2.3')!)?.country, 'DE');
    assert.equal(t.preload().source, 'built');
    assert.match(t.preload().cacheNote ?? '', /checksum of page 0 does not match/);
    assert.deepEqual(answers(t), answers(new GeoTable({ dataDir, cacheDir: null })));
  });

  test('a truncated cache file is ignored', () => {
    const { dataDir, cacheDir } = setup();
    const file = new GeoTable({ dataDir, cacheDir }).preload().cacheFile!;
    truncateSync(file, statSync(file).size - 8);
    const load = new GeoTable({ dataDir, cacheDir }).preload();
    assert.equal(load.source, 'built');
  });

  test('caching can be turned off: nothing is written', () => {
    const { dataDir, cacheDir } = setup();
    const load = new GeoTable({ dataDir, cacheDir: null }).preload();
    assert.equal(load.source, 'built');
    assert.equal(load.cacheFile, null);
    assert.equal(load.cacheNote, 'caching is off');
    assert.equal(existsSync(cacheDir), false);
  });

  test('a cache directory others may write to, or a symlink, is not used (its files would be trusted input)', () => {
    const { dataDir, cacheDir } = setup();
    mkdirSync(cacheDir);
    chmodSync(cacheDir, 0o777);
    const open = new GeoTable({ dataDir, cacheDir }).preload();
    assert.equal(open.source, 'built');
    assert.equal(open.cacheFile, null);
    assert.match(open.cacheNote ?? '', /writable by group or others/);
    assert.deepEqual(readdirSync(cacheDir), []);

    chmodSync(cacheDir, 0o700);
    const link = `${cacheDir}-link`;
    symlinkSync(cacheDir, link);
    const linked = new GeoTable({ dataDir, cacheDir: link }).preload();
    assert.equal(linked.cacheFile, null);
    assert.match(linked.cacheNote ?? '', /is not a directory/);
  });

  test('a table loads and answers in a worker thread', async () => {
    const { dataDir, cacheDir } = setup();
    const main = new GeoTable({ dataDir, cacheDir });
    main.preload();
    const moduleUrl = new URL('../../src/components/enrich/geo-table.ts', import.meta.url).href;
    const addressUrl = new URL('../../src/core/ip-address.ts', import.meta.url).href;
    const worker = new Worker(
      `const { parentPort, workerData } = require('node:worker_threads');
       (async () => {
         // A worker does not inherit the tsx loader of the test process.
         (await import('tsx/esm/api')).register();
         const { GeoTable } = await import(workerData.moduleUrl);
         const { parseAddress } = await import(workerData.addressUrl);
         const t = new GeoTable({ dataDir: workerData.dataDir, cacheDir: workerData.cacheDir });
         const load = t.preload();
         parentPort.postMessage({ source: load.source, answers: workerData.probes.map((ip) => t.lookup(parseAddress(ip))) });
       })();`,
      { eval: true, workerData: { moduleUrl, addressUrl, dataDir, cacheDir, probes: PROBES } },
    );
    const reply = await new Promise<{ source: string; answers: unknown[] }>((resolve, reject) => {
      worker.once('message', resolve);
      worker.once('error', reject);
    });
    await worker.terminate();
    assert.equal(reply.source, 'cache');
    assert.deepEqual(reply.answers, answers(main));
  });

  describe('pages read on demand', () => {
    // A table of 64 pages (16 KiB each) of counting numbers, to see which pages a lookup reads.
    const PAGE_ELEMENTS = 4096;
    const LENGTH = 64 * PAGE_ELEMENTS;
    interface Counting {
      values: Uint32Array;
      residency: Residency;
    }
    function counting(cacheDir: string, builds: { n: number }): () => LoadRequest<Counting> {
      return () => ({
        name: 'counting',
        key: { table: 'counting' },
        cacheDir,
        build: () => {
          builds.n++;
          return { values: Uint32Array.from({ length: LENGTH }, (_, i) => i) };
        },
        open: (s, _trusted, residency) => ({ values: s.values as Uint32Array, residency }),
      });
    }
    const valueAt = (t: Counting, i: number) => {
      t.residency.ensure(t.values, i, i + 1);
      return t.values[i];
    };
    /** Changes one element of the body in the cache file, where a page's checksum covers it. */
    function damage(file: string, index: number): void {
      const bytes = readFileSync(file);
      const body = (12 + bytes.readUInt32LE(8) + 7) & ~7;
      bytes.writeUInt32LE(7, body + index * 4);
      writeFileSync(file, bytes);
    }

    test('a lookup reads and checks only its own pages: damage elsewhere in the file goes unnoticed until a lookup reaches it', () => {
      const cacheDir = join(tempDir(), 'cache');
      const builds = { n: 0 };
      const file = new CachedTable(counting(cacheDir, builds)).preload().cacheFile!;
      assert.equal(builds.n, 1);
      damage(file, 40 * PAGE_ELEMENTS + 5); // page 40

      const table = new CachedTable(counting(cacheDir, builds));
      assert.equal(table.preload().source, 'cache');
      assert.deepEqual(
        [0, 5, 39 * PAGE_ELEMENTS + 4095, 41 * PAGE_ELEMENTS].map((i) => table.read((t) => valueAt(t, i))),
        [0, 5, 39 * PAGE_ELEMENTS + 4095, 41 * PAGE_ELEMENTS],
      );
      assert.equal(builds.n, 1, 'pages 0, 39 and 41 are read from the file, page 40 is not');
      assert.equal(table.preload().source, 'cache');

      // The lookup that reaches page 40 gets the built value, not the damaged one, and the table is rebuilt and rewritten.
      assert.equal(table.read((t) => valueAt(t, 40 * PAGE_ELEMENTS + 5)), 40 * PAGE_ELEMENTS + 5);
      assert.equal(builds.n, 2);
      const rebuilt = table.preload();
      assert.equal(rebuilt.source, 'built');
      assert.match(rebuilt.cacheNote ?? '', /^cache file rejected \(checksum of page 40 does not match\), rebuilt$/);
      assert.equal(table.read((t) => valueAt(t, LENGTH - 1)), LENGTH - 1);

      const again = new CachedTable(counting(cacheDir, builds));
      assert.equal(again.read((t) => valueAt(t, 40 * PAGE_ELEMENTS + 5)), 40 * PAGE_ELEMENTS + 5);
      assert.equal(again.preload().source, 'cache', 'the rewritten file is whole again');
      assert.equal(builds.n, 2);
    });

    test('a cache file the table refuses at opening is let go: its descriptor is closed, and the table built', () => {
      const cacheDir = join(tempDir(), 'cache');
      const builds = { n: 0 };
      new CachedTable(counting(cacheDir, builds)).preload();
      const refusing = (): LoadRequest<Counting> => ({
        ...counting(cacheDir, builds)(),
        open: (s, _trusted, residency) => {
          if (builds.n === 1) throw new Error('not a table of ours'); // the cached file: the rebuild opens after the second build
          return { values: s.values as Uint32Array, residency };
        },
      });
      const openFiles = () => readdirSync('/proc/self/fd').length;
      const before = openFiles();
      const table = new CachedTable(refusing);
      const load = table.preload();
      assert.equal(load.source, 'built');
      assert.match(load.cacheNote ?? '', /cache file rejected \(not a table of ours\), rebuilt/);
      assert.equal(openFiles(), before);
    });

    test('a range that crosses pages reads each of them; a file replaced after opening is still read as opened', () => {
      const cacheDir = join(tempDir(), 'cache');
      const builds = { n: 0 };
      const first = new CachedTable(counting(cacheDir, builds));
      const file = first.preload().cacheFile!;
      const table = new CachedTable(counting(cacheDir, builds));
      assert.equal(table.preload().source, 'cache');
      // Another process writes a damaged file in its place: this one keeps the bytes it opened.
      const bytes = readFileSync(file);
      writeFileSync(`${file}.new`, bytes);
      damage(`${file}.new`, 3 * PAGE_ELEMENTS);
      renameSync(`${file}.new`, file);
      const sum = table.read((t) => {
        t.residency.ensure(t.values, 2 * PAGE_ELEMENTS - 2, 4 * PAGE_ELEMENTS + 2);
        let total = 0;
        for (let i = 2 * PAGE_ELEMENTS - 2; i < 4 * PAGE_ELEMENTS + 2; i++) total += t.values[i] - i;
        return total;
      });
      assert.equal(sum, 0);
      assert.equal(builds.n, 1);
    });
  });
});
