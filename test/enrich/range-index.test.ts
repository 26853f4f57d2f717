import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NO_VALUE, WideRangeIndex } from '../../src/components/enrich/range-index.js';
import type { Residency, Section } from '../../src/components/enrich/residency.js';

// An address table read from its cache file is paged in as lookups reach it (16 KiB pages).
// An IPv6 lookup bisects arrays of several megabytes: its first lookups read only the pages
// they probe, so a run that sees a handful of IPv6 addresses does not read the whole table;
// after a few hundred lookups the arrays are read in once and bisected without a check per probe.

const PAGE_ELEMENTS = 4096; // 16 KiB of uint32

/** Records which pages of each section were asked for. */
class PageRecorder implements Residency {
  readonly pages = new Map<Section, Set<number>>();
  ensure(section: Section, from: number, to: number): void {
    let set = this.pages.get(section);
    if (set === undefined) this.pages.set(section, (set = new Set()));
    for (let p = Math.floor(from / PAGE_ELEMENTS); p <= Math.floor((to - 1) / PAGE_ELEMENTS); p++) set.add(p);
  }
  count(section: Section): number {
    return this.pages.get(section)?.size ?? 0;
  }
}

/** /64 prefixes w0:w1 for w0 in 0x20010000.. with one range every 16 prefixes; range i has value i. */
function prefixes(ranges: number): { keys: Uint32Array; values: Uint32Array } {
  const keys = new Uint32Array(ranges * 2);
  const values = new Uint32Array(ranges);
  for (let i = 0; i < ranges; i++) {
    keys[i * 2] = 0x20010000 + Math.floor(i / 1024);
    keys[i * 2 + 1] = (i % 1024) * 16;
    values[i] = i;
  }
  return { keys, values };
}

describe('IPv6 range lookups', () => {
  const RANGES = 200_000; // keys 400,000 words: 98 pages
  test('a first lookup reads only the pages its bisection probes, and finds the same range as a resident table', () => {
    const { keys, values } = prefixes(RANGES);
    const recorder = new PageRecorder();
    const paged = new WideRangeIndex(2, keys, values, recorder);
    const resident = new WideRangeIndex(2, keys, values);
    const probe = (i: number): [number, number] => [0x20010000 + Math.floor(i / 1024), (i % 1024) * 16 + 3];
    assert.equal(paged.find(...probe(123_456), 0, 0), 123_456);
    const keyPages = Math.ceil(keys.length / PAGE_ELEMENTS);
    assert.ok(recorder.count(keys) <= 18, `one lookup read ${recorder.count(keys)} of ${keyPages} key pages`);
    assert.equal(recorder.count(values), 1);
    for (const i of [0, 1, 1023, 1024, 99_999, RANGES - 1]) assert.equal(paged.find(...probe(i), 0, 0), resident.find(...probe(i), 0, 0));
    assert.equal(paged.find(0x20000000, 0, 0, 0), NO_VALUE, 'below the first range');
    assert.ok(recorder.count(keys) < keyPages, 'still not the whole table');
  });

  test('after a few hundred lookups the arrays are read in whole, and answers stay the same', () => {
    const { keys, values } = prefixes(RANGES);
    const recorder = new PageRecorder();
    const index = new WideRangeIndex(2, keys, values, recorder);
    const keyPages = Math.ceil(keys.length / PAGE_ELEMENTS);
    for (let n = 0; n < 1000; n++) {
      const i = (n * 7919) % RANGES;
      assert.equal(index.find(0x20010000 + Math.floor(i / 1024), (i % 1024) * 16, 0, 0), i);
    }
    assert.equal(recorder.count(keys), keyPages);
    assert.equal(recorder.count(values), Math.ceil(values.length / PAGE_ELEMENTS));
  });

  test('full addresses (four words) are bisected page by page too', () => {
    const ranges = 50_000;
    const keys = new Uint32Array(ranges * 4);
    const values = new Uint32Array(ranges);
    for (let i = 0; i < ranges; i++) {
      keys.set([0x2a000000, 0, i, 0], i * 4);
      values[i] = i;
    }
    const recorder = new PageRecorder();
    const index = new WideRangeIndex(4, keys, values, recorder);
    assert.equal(index.find(0x2a000000, 0, 31_337, 5), 31_337);
    assert.equal(index.find(0x2a000000, 0, 0, 0), 0);
    assert.equal(index.find(0x29ffffff, 0xffffffff, 0xffffffff, 0xffffffff), NO_VALUE);
    assert.ok(recorder.count(keys) < Math.ceil(keys.length / PAGE_ELEMENTS));
  });
});
