import assert from 'node:assert/strict';
import { renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { spawnSync } from 'node:child_process';
import { gzipSync } from 'node:zlib';
import type { FileCheckpoint } from '../../src/core/ports.js';
import { ArchiveInput, InputError, type CheckpointLookup } from '../../src/components/sources/files/archive-input.js';
import { checkInputPaths } from '../../src/components/sources/files/replay-inputs.js';
import { tailHash } from '../../src/components/sources/files/fingerprint.js';
import { BIN, runCli } from '../helpers/cli.js';
import { accessLine, log4jTime, STACK_TRACE } from '../helpers/lines.js';
import { tempDir } from '../helpers/tmp.js';
import { RecordChannel, type Rec } from './record-channel.js';

// One replayed input: plain or gzip (recognised by its magic bytes, not its name), identified
// by its first record line, resumed after its checkpoint once the bytes before it are the ones
// read, and read to the end even when damaged.

const dir = tempDir();
const T0 = Date.UTC(2024, 4, 6, 7, 0, 0);
const LINES = Array.from({ length: 2000 }, (_, i) =>
  i % 100 === 99 ? STACK_TRACE[1] : accessLine({ time: log4jTime(T0 + i * 250), dn: `uid=user${i % 37},ou=shadow,o=Tremolo`, ip: `81.2.69.${i % 250}` }),
);
const TEXT = LINES.join('\n') + '\n';

/** Reads an input the way replay does (identify, resume, pump) and decodes its records. */
async function readAll(path: string, lookup: CheckpointLookup | null = null): Promise<{ input: ArchiveInput; records: Rec[]; format: string | null }> {
  const input = new ArchiveInput(path);
  await input.identify(lookup);
  const channel = new RecordChannel(input.startOffset, input.startLineNo);
  await input.pump(channel);
  assert.equal(channel.ended, true, 'the input is ended once read');
  return { input, records: channel.records, format: channel.decoder.format };
}

function file(name: string, content: string | Buffer): string {
  const p = join(dir, name);
  writeFileSync(p, content);
  return p;
}

/** The checkpoint a run that read `bytes` up to `offset` (line `lineNo`) committed. */
function checkpoint(bytes: Buffer, offset: number, lineNo: number, path = 'earlier.log'): FileCheckpoint {
  return { fingerprint: 'x', path, offset, lineNo, dev: null, ino: null, tailHash: tailHash(bytes.subarray(Math.max(0, offset - 4096), offset)), hashOffset: offset };
}
const lookupOf = (cp: FileCheckpoint | null): CheckpointLookup => async (fingerprint) => (cp === null ? null : { ...cp, fingerprint });

describe('plain files and gzip archives', () => {
  test('a plain file gives every line with its number and resume offset', async () => {
    const { input, records, format } = await readAll(file('plain.log', TEXT));
    assert.deepEqual(records.map((r) => r.text), LINES);
    assert.deepEqual(records.map((r) => r.lineNo), LINES.map((_, i) => i + 1));
    assert.equal(records.at(-1)!.resume, Buffer.byteLength(TEXT));
    assert.equal(input.warning, null);
    assert.equal(format, 'plain');
    assert.deepEqual(input.registration(), { origin: input.path, identity: input.identity, startOffset: 0, startLineNo: 0, live: false });
  });

  test('a plain file is read into the buffers the pipeline lends, as many bytes as each holds; a gzip archive into its own', async () => {
    // The pipeline takes a lent buffer's memory to its parsing thread uncopied (InputChannel.lendBuffer).
    class LendingChannel extends RecordChannel {
      readonly lent = new WeakSet<ArrayBufferLike>();
      lends = 0;
      pushedLent = 0;
      lendBuffer(bytes: number): Buffer {
        this.lends++;
        const b = Buffer.alloc(Math.min(bytes, 100_000));
        this.lent.add(b.buffer);
        return b;
      }
      override push(chunk: Buffer): void {
        if (chunk.byteOffset === 0 && this.lent.has(chunk.buffer)) this.pushedLent++;
        super.push(chunk);
      }
    }
    const plain = await readAll(file('lent.log', TEXT));
    for (const [name, bytes, lendsExpected] of [['lent.log', TEXT, true], ['lent.log.gz', gzipSync(TEXT), false]] as const) {
      const input = new ArchiveInput(file(name, bytes));
      await input.identify(null);
      const channel = new LendingChannel(input.startOffset, input.startLineNo);
      await input.pump(channel);
      assert.deepEqual(channel.records, plain.records, name);
      if (lendsExpected) {
        // The first 64 KiB were read while identifying, before any buffer was lent.
        assert.ok(channel.pushedLent >= Math.floor((Buffer.byteLength(TEXT) - 65_536) / 100_000), `${channel.pushedLent} chunks read into lent buffers`);
      } else assert.equal(channel.lends, 0, 'a gzip archive borrows nothing (its chunks go to the decompressor)');
    }
  });

  test('a gzip archive gives the same records, offsets in decompressed bytes, and the same identity', async () => {
    const plain = await readAll(file('same.log', TEXT));
    const gz = await readAll(file('same.log.gz', gzipSync(TEXT)));
    assert.deepEqual(gz.records, plain.records);
    assert.equal(gz.input.fingerprint, plain.input.fingerprint, 'a rotated-and-compressed log is the same log');
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

  test('identifying keeps only the beginning of a file, plain or gzip (a replay identifies every input before reading any)', async () => {
    const big = Array.from({ length: 24 }, () => TEXT).join('');
    for (const path of [file('big.log', big), file('big.log.gz', gzipSync(big))]) {
      const input = new ArchiveInput(path);
      await input.identify(null);
      if (!path.endsWith('.gz')) {
        const read = input.progress()!.done;
        assert.ok(read > 0 && read <= 64 * 1024, `${read} bytes read to identify a ${Buffer.byteLength(big)}-byte file`);
      }
      assert.notEqual(input.fingerprint, null);
      const sizes: number[] = [];
      const channel = new RecordChannel(input.startOffset, input.startLineNo);
      const push = channel.push.bind(channel);
      channel.push = (chunk: Buffer) => {
        sizes.push(chunk.length);
        push(chunk);
      };
      await input.pump(channel);
      assert.ok(sizes[0] <= 64 * 1024, `${path}: the first chunk pushed is the ${sizes[0]} bytes kept from identifying`);
      assert.equal(channel.bytes, Buffer.byteLength(big), `${path}: then every byte, the beginning once`);
      assert.deepEqual(channel.records.map((r) => r.text), Array.from({ length: 24 }, () => LINES).flat());
    }
  });

  test('a file renamed away or deleted once identified (logrotate during a long replay) is still read whole', async () => {
    const big = Array.from({ length: 8 }, () => TEXT).join('');
    for (const [name, content] of [['moved.log', big], ['moved.log.gz', gzipSync(big)]] as const) {
      for (const gone of ['renamed', 'deleted']) {
        const path = file(name, content);
        const input = new ArchiveInput(path);
        await input.identify(null);
        if (gone === 'renamed') renameSync(path, `${path}.1`);
        else unlinkSync(path);
        writeFileSync(path, accessLine({ time: log4jTime(T0), dn: 'uid=someone-else,o=Tremolo' }) + '\n');
        const channel = new RecordChannel(input.startOffset, input.startLineNo);
        await input.pump(channel);
        assert.equal(input.warning, null, `${name} ${gone}`);
        assert.equal(channel.bytes, Buffer.byteLength(big), `${name} ${gone}: the file identified, not the new one`);
      }
    }
  });

  test('an empty file has no identity and no records', async () => {
    const { records, input } = await readAll(file('empty.log', ''));
    assert.deepEqual(records, []);
    assert.equal(input.fingerprint, null);
    assert.deepEqual(input.identity, { kind: 'none' });
  });

  test('the identity is the first record line: a copy has the same, another log a different one', async () => {
    const a = await readAll(file('a.log', TEXT));
    const copy = await readAll(file('copy-of-a.log', TEXT));
    const other = await readAll(file('b.log', LINES.slice(1).join('\n') + '\n'));
    assert.equal(a.input.fingerprint, copy.input.fingerprint);
    assert.notEqual(a.input.fingerprint, other.input.fingerprint);
    assert.match(a.input.fingerprint ?? '', /^[0-9a-f]{40}$/);
  });

  test('a banner before the first record line is not the identity: two logs that share it are different logs', async () => {
    const banner = 'Picked up JAVA_TOOL_OPTIONS: -Xmx1g\n\n';
    const day1 = await readAll(file('day1.log', banner + LINES.slice(0, 10).join('\n') + '\n'));
    const day2 = await readAll(file('day2.log', banner + LINES.slice(10, 20).join('\n') + '\n'));
    assert.notEqual(day1.input.fingerprint, day2.input.fingerprint);
    assert.equal(day2.records.filter((r) => r.text !== null && r.text.startsWith('[')).length, 10);
  });
});

describe('resuming after a checkpoint', () => {
  const cut = 1234;
  const offset = Buffer.byteLength(LINES.slice(0, cut).join('\n') + '\n');
  const bytes = Buffer.from(TEXT);

  test('a plain file resumes at the byte offset, numbering lines from the checkpoint', async () => {
    const { records, input } = await readAll(file('resume.log', TEXT), lookupOf(checkpoint(bytes, offset, cut)));
    assert.deepEqual(records.map((r) => r.text), LINES.slice(cut));
    assert.equal(records[0].lineNo, cut + 1);
    assert.deepEqual([input.startOffset, input.startLineNo], [offset, cut]);
    assert.equal(input.notice, null);
  });

  test('a gzip archive resumes at the same decompressed offset, checking the bytes while decompressing', async () => {
    const { records, input } = await readAll(file('resume.log.gz', gzipSync(TEXT)), lookupOf(checkpoint(bytes, offset, cut)));
    assert.deepEqual(records.map((r) => r.text), LINES.slice(cut));
    assert.equal(records[0].lineNo, cut + 1);
    assert.equal(input.notice, null);
  });

  test('a checkpoint without a tail hash (an older database) is trusted', async () => {
    const cp = { ...checkpoint(bytes, offset, cut), tailHash: null, hashOffset: null };
    const { records } = await readAll(file('legacy.log', TEXT), lookupOf(cp));
    assert.equal(records[0].lineNo, cut + 1);
  });

  test('a checkpoint at the end gives nothing new', async () => {
    const { records } = await readAll(file('done.log', TEXT), lookupOf(checkpoint(bytes, bytes.length, LINES.length)));
    assert.deepEqual(records, []);
  });

  test('the same first line but other bytes before the checkpoint: a different log, read from its start with a notice', async () => {
    // A copy of the log that was then rewritten after its first line.
    const rewritten = [LINES[0], ...LINES.slice(1).map((l) => l.replace('uid=user', 'uid=other'))].join('\n') + '\n';
    for (const [name, content] of [['rewritten.log', rewritten], ['rewritten.log.gz', gzipSync(rewritten)]] as const) {
      const { records, input } = await readAll(file(name, content), lookupOf(checkpoint(bytes, offset, cut, '/var/log/day1.log')));
      assert.equal(records.length, LINES.length, name);
      assert.equal(records[0].lineNo, 1);
      assert.equal(records[0].text, LINES[0]);
      assert.equal(input.startOffset, 0);
      assert.match(input.notice ?? '', /begins like the log read as \/var\/log\/day1\.log .*read from its start/);
    }
  });

  test('a file shorter than its checkpoint (rewritten) is read from the start, with a warning', async () => {
    const short = LINES.slice(0, 10).join('\n') + '\n';
    const { records, input } = await readAll(file('rewritten-short.log', short), lookupOf(checkpoint(bytes, offset, cut)));
    assert.equal(records.length, 10);
    assert.equal(records[0].lineNo, 1);
    assert.match(input.warning ?? '', /shorter than its checkpoint/);
  });

  test('a gzip archive that ends before its checkpoint gives nothing, with a warning', async () => {
    const short = LINES.slice(0, 10).join('\n') + '\n';
    const { records, input } = await readAll(file('short.log.gz', gzipSync(short)), lookupOf(checkpoint(bytes, offset, cut)));
    assert.deepEqual(records, []);
    assert.match(input.warning ?? '', /ended before its checkpoint/);
  });
});

describe('arguments that cannot be inputs', () => {
  test('a missing file, a directory and stdin twice are refused before anything is read', async () => {
    await assert.rejects(checkInputPaths([join(dir, 'nope.log')]), (e: Error) => e instanceof InputError && /no such file: .*nope\.log/.test(e.message));
    await assert.rejects(checkInputPaths([dir]), (e: Error) => e instanceof InputError && /is a directory; give the log files inside it/.test(e.message));
    await assert.rejects(checkInputPaths(['-', '-']), (e: Error) => e instanceof InputError && /stdin \(-\) can be given only once/.test(e.message));
    await checkInputPaths([file('fine.log', TEXT), '-']);
  });
});

describe('more files than the process may hold open', () => {
  test('a clear error (exit 2) naming the limit and how to raise it, before anything is read', async () => {
    const many = tempDir();
    const paths = Array.from({ length: 120 }, (_, i) => {
      const p = join(many, `part-${String(i).padStart(3, '0')}.log`);
      writeFileSync(p, LINES.slice(i * 10, i * 10 + 10).join('\n') + '\n');
      return p;
    });
    const quoted = paths.map((p) => `'${p}'`).join(' ');
    const r = spawnSync('sh', ['-c', `ulimit -n 64 && exec '${process.execPath}' '${BIN}' replay --db '${join(many, 'db.sqlite')}' ${quoted}`], { encoding: 'utf8', timeout: 60_000 });
    assert.equal(r.status, 2, r.stderr);
    assert.match(r.stderr, /cannot hold 120 inputs open at once/);
    assert.match(r.stderr, /ulimit -n/);
    assert.doesNotMatch(r.stderr, /unexpected error|\n\s+at /, 'no stack trace');
  });
});

describe('stdin', () => {
  test('plain or gzip, recognised by its first bytes', async () => {
    const text = LINES.slice(0, 50).join('\n') + '\n';
    for (const input of [Buffer.from(text), gzipSync(text)]) {
      const r = await runCli(['parse', '-', '--json'], { input });
      assert.equal(r.code, 0, r.stderr);
      const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { source: string });
      assert.equal(events.length, 50);
      assert.equal(events[0].source, 'stdin:1');
      assert.equal(events.at(-1)!.source, 'stdin:50');
    }
  });
});
