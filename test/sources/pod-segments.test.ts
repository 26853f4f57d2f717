import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { MAX_POD_SEGMENTS, podSegments, type PodSegment } from '../../src/components/sources/files/pod-segments.js';
import { tempDir } from '../helpers/tmp.js';

const dir = tempDir();
let n = 0;
function file(text: string | Buffer, gzip = false): string {
  const path = join(dir, `f${++n}.log${gzip ? '.gz' : ''}`);
  writeFileSync(path, gzip ? gzipSync(text) : text);
  return path;
}

const line = (pod: string, i: number, pad = 0) => `[pod/${pod}/openunison-orchestra] [2026-03-02 00:00:${String(i % 60).padStart(2, '0')},000][XNIO-1 task-1] INFO  AccessLog - ${'x'.repeat(pad)}\n`;

/** The runs as a reader of the whole text finds them, line by line. */
function expected(text: string): PodSegment[] {
  const out: PodSegment[] = [];
  let offset = 0;
  let lineNo = 0;
  for (const l of text.split(/(?<=\n)/)) {
    const pod = /^\[(pod\/[^\]/]+\/[^\]/]+)\] /.exec(l)?.[1];
    const last = out[out.length - 1];
    if (pod !== undefined && last?.pod !== pod) {
      if (last) last.end = offset;
      out.push({ pod, start: out.length === 0 ? 0 : offset, end: -1, lineNo: out.length === 0 ? 0 : lineNo });
    }
    offset += Buffer.byteLength(l);
    lineNo++;
  }
  out[out.length - 1].end = offset;
  return out;
}

describe('the pods of a `kubectl logs --prefix` file', () => {
  // Lines of every length around the 1 MiB read size, so that prefixes and line ends fall on
  // both sides of chunk boundaries; kubectl's own message first, then three pods one after another.
  const text =
    'Defaulted container "openunison-orchestra" out of: openunison-orchestra\n' +
    ['openunison-orchestra-0', 'openunison-orchestra-1', 'openunison-orchestra-2']
      .map((pod, k) => Array.from({ length: 9000 + k * 1000 }, (_, i) => line(pod, i, (i * 37) % 450)).join(''))
      .join('');

  test('are found as runs at the exact byte and line where each pod begins, the first run from the start of the file', async () => {
    const runs = await podSegments(file(text));
    assert.deepEqual(runs, expected(text));
    assert.equal(runs!.length, 3);
    assert.ok(Buffer.byteLength(text) > 3 * 1024 * 1024, 'several read chunks');
  });

  test('are found the same in a gzip archive (offsets in the decompressed bytes)', async () => {
    assert.deepEqual(await podSegments(file(text, true)), expected(text));
  });

  test('a pod that comes back after another is a run of its own; a last line without a newline ends the last run', async () => {
    const t = line('a', 1) + line('a', 2) + line('b', 3) + line('a', 4).trimEnd();
    const runs = await podSegments(file(t));
    assert.deepEqual(runs, expected(t));
    assert.deepEqual(
      runs!.map((r) => [r.pod, r.lineNo]),
      [['pod/a/openunison-orchestra', 0], ['pod/b/openunison-orchestra', 2], ['pod/a/openunison-orchestra', 3]],
    );
  });

  test('nothing to split: one pod, pods interleaved line by line (kubectl -f), or a log without prefixes', async () => {
    assert.equal(await podSegments(file(line('a', 1) + line('a', 2))), null);
    const interleaved = Array.from({ length: MAX_POD_SEGMENTS + 2 }, (_, i) => line(i % 2 ? 'a' : 'b', i)).join('');
    assert.equal(await podSegments(file(interleaved)), null);
    assert.equal(await podSegments(file('[2026-03-02 00:00:00,000][XNIO-1 task-1] INFO  AccessLog - plain\n'.repeat(5000))), null);
  });

  test('a file is split only if a prefixed line starts in its first 64 KiB, read plain or from gzip alike', async () => {
    const plain = '[2026-03-02 00:00:00,000][XNIO-1 task-1] INFO  AccessLog - plain\n';
    const pods = line('a', 1) + line('a', 2) + line('b', 3);
    // Unprefixed lines up to an exact offset, then the pods: the first prefixed line starts there.
    const upTo = (offset: number) => {
      const head = plain.repeat(Math.floor(offset / plain.length));
      return head + 'x'.repeat(offset - head.length - 1) + '\n' + pods;
    };
    for (const gzip of [false, true]) {
      const inside = upTo(65_536);
      assert.deepEqual(await podSegments(file(inside, gzip)), expected(inside), `starting at byte 65,536 (gzip: ${gzip})`);
      assert.equal(await podSegments(file(upTo(65_537), gzip)), null, `starting at byte 65,537 (gzip: ${gzip})`);
    }
  });

  test('a damaged archive is not split (the read that follows reports the damage)', async () => {
    const gz = gzipSync(text);
    assert.equal(await podSegments(file(gz.subarray(0, gz.length >> 1))), null);
  });
});
