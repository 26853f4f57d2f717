import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { StreamDecoder } from '../../src/components/decode/stream-decoder.js';
import { ReplayInput, type CheckpointLookup } from '../../src/components/sources/files/archive-input.js';
import type { Checkpoint } from '../../src/store/sqlite/checkpoints.js';
import { accessLine, log4jTime, STACK_TRACE } from '../helpers/lines.js';
import { tempDir } from '../helpers/tmp.js';

// One replayed input: plain or gzip (recognised by its magic bytes, not its name), identified by
// its first line, resumed after its checkpoint, and read to the end even when damaged.

const dir = tempDir();
const T0 = Date.UTC(2024, 4, 6, 7, 0, 0);
const LINES = Array.from({ length: 2000 }, (_, i) =>
  i % 100 === 99 ? STACK_TRACE[1] : accessLine({ time: log4jTime(T0 + i * 250), dn: `uid=user${i % 37},ou=shadow,o=Tremolo`, ip: `81.2.69.${i % 250}` }),
);
const TEXT = LINES.join('\n') + '\n';

interface Rec {
  text: string | null;
  reason: string | null;
  lineNo: number;
  resume: number;
}

/** Reads an input the way replay does (identify, resume, chunks) and decodes its records. */
async function readAll(path: string, lookup: CheckpointLookup = () => null): Promise<{ input: ReplayInput; records: Rec[]; format: string | null }> {
  const input = new ReplayInput(path, lookup);
  await input.identify();
  const decoder = new StreamDecoder(input.cursor.offset, input.cursor.lineNo);
  const records: Rec[] = [];
  const drain = () => {
    const q = decoder.queue;
    while (q.size > 0) {
      const i = q.head++;
      records.push({ text: q.texts[i], reason: q.reasons[i], lineNo: q.lineNos[i], resume: q.resumes[i] });
    }
    q.compact();
  };
  for (let chunk = await input.next(); chunk !== null; chunk = await input.next()) {
    decoder.write(chunk);
    drain();
  }
  decoder.end();
  drain();
  return { input, records, format: decoder.format };
}

function file(name: string, content: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

const checkpointAt = (offset: number, lineNo: number): CheckpointLookup => (fingerprint) =>
  ({ fingerprint, path: 'x', offset, lineNo, dev: null, ino: null }) satisfies Checkpoint;

describe('plain files and gzip archives', () => {
  test('a plain file gives every line with its number and resume offset', async () => {
    const { input, records, format } = await readAll(file('plain.log', TEXT));
    assert.deepEqual(records.map((r) => r.text), LINES);
    assert.deepEqual(records.map((r) => r.lineNo), LINES.map((_, i) => i + 1));
    assert.equal(records.at(-1)!.resume, Buffer.byteLength(TEXT));
    assert.equal(input.warning, null);
    assert.equal(format, 'plain');
  });

  test('a gzip archive gives the same records, offsets in decompressed bytes, and the same identity', async () => {
    const plain = await readAll(file('same.log', TEXT));
    const gz = await readAll(file('same.log.gz', gzipSync(TEXT)));
    assert.deepEqual(gz.records, plain.records);
    assert.equal(gz.input.cursor.fingerprint, plain.input.cursor.fingerprint, 'a rotated-and-compressed log is the same log');
  });

  test('gzip is recognised by its magic bytes, not its name', async () => {
    const { records } = await readAll(file('compressed-but-named.log', gzipSync(TEXT)));
    assert.deepEqual(records.map((r) => r.text), LINES);
    const { records: plain } = await readAll(file('plain-but-named.log.gz', TEXT));
    assert.deepEqual(plain.map((r) => r.text), LINES);
  });

  test('concatenated gzip members (cat a.gz b.gz) are read to the end', async () => {
    const half = LINES.length / 2;
    const a = LINES.slice(0, half).join('\n') + '\n';
    const b = LINES.slice(half).join('\n') + '\n';
    const { records, input } = await readAll(file('members.gz', Buffer.concat([gzipSync(a), gzipSync(b)])));
    assert.deepEqual(records.map((r) => r.text), LINES);
    assert.equal(input.warning, null);
  });

  test('a truncated gzip archive: a warning, and every line before the damage is kept', async () => {
    const gz = gzipSync(TEXT, { level: 1 });
    const { records, input } = await readAll(file('truncated.log.gz', gz.subarray(0, Math.floor(gz.length * 0.6))));
    assert.match(input.warning ?? '', /truncated/);
    const texts = records.filter((r) => r.text !== null).map((r) => r.text);
    assert.ok(texts.length > 100, `only ${texts.length} lines kept`);
    assert.deepEqual(texts, LINES.slice(0, texts.length), 'the kept lines are the first lines, intact');
    // The line the damage cut in half is not taken for a line.
    assert.deepEqual(records.filter((r) => r.text === null).map((r) => r.reason), ['truncated']);
  });

  test('a gzip archive damaged in the middle: a warning, no exception, and the lines before the damage kept', async () => {
    // Deflate has no resynchronisation: bytes decoded after the damage may be garbage until zlib
    // notices (as with gunzip). Those go through the parser like any bad line; the point here is
    // the warning, and that nothing before the damage is lost.
    const many = Array.from({ length: 12 }, () => TEXT).join('');
    const gz = Buffer.from(gzipSync(many));
    for (let i = Math.floor(gz.length / 2); i < Math.floor(gz.length / 2) + 64; i++) gz[i] ^= 0xa5;
    const { records, input } = await readAll(file('damaged.log.gz', gz));
    assert.match(input.warning ?? '', /damaged|truncated/);
    const all = many.split('\n');
    assert.deepEqual(records.slice(0, 5000).map((r) => r.text), all.slice(0, 5000));
  });

  test('an empty file has no identity and no records', async () => {
    const { records, input } = await readAll(file('empty.log', ''));
    assert.deepEqual(records, []);
    assert.equal(input.cursor.fingerprint, null);
  });

  test('the identity is the first line: a copy has the same, another log a different one', async () => {
    const a = await readAll(file('a.log', TEXT));
    const copy = await readAll(file('copy-of-a.log', TEXT));
    const other = await readAll(file('b.log', LINES.slice(1).join('\n') + '\n'));
    assert.equal(a.input.cursor.fingerprint, copy.input.cursor.fingerprint);
    assert.notEqual(a.input.cursor.fingerprint, other.input.cursor.fingerprint);
    assert.match(a.input.cursor.fingerprint ?? '', /^[0-9a-f]{40}$/);
  });
});

describe('resuming after a checkpoint', () => {
  const cut = 1234;
  const offset = Buffer.byteLength(LINES.slice(0, cut).join('\n') + '\n');

  test('a plain file resumes at the byte offset, numbering lines from the checkpoint', async () => {
    const { records, input } = await readAll(file('resume.log', TEXT), checkpointAt(offset, cut));
    assert.deepEqual(records.map((r) => r.text), LINES.slice(cut));
    assert.equal(records[0].lineNo, cut + 1);
    assert.equal(input.cursor.offset, offset);
  });

  test('a gzip archive resumes at the same decompressed offset', async () => {
    const { records } = await readAll(file('resume.log.gz', gzipSync(TEXT)), checkpointAt(offset, cut));
    assert.deepEqual(records.map((r) => r.text), LINES.slice(cut));
    assert.equal(records[0].lineNo, cut + 1);
  });

  test('a checkpoint at the end gives nothing new', async () => {
    const { records } = await readAll(file('done.log', TEXT), checkpointAt(Buffer.byteLength(TEXT), LINES.length));
    assert.deepEqual(records, []);
  });

  test('a file shorter than its checkpoint (rewritten) is read from the start, with a warning', async () => {
    const short = LINES.slice(0, 10).join('\n') + '\n';
    const { records, input } = await readAll(file('rewritten.log', short), checkpointAt(offset, cut));
    assert.equal(records.length, 10);
    assert.equal(records[0].lineNo, 1);
    assert.match(input.warning ?? '', /shorter than its checkpoint/);
  });
});
