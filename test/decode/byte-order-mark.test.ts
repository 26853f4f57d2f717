import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCli } from '../helpers/cli.js';
import { accessLine, expiredLine } from '../helpers/lines.js';
import { tempDir } from '../helpers/tmp.js';
import { decode, show, texts } from './decode.js';

// A log saved on Windows starts with a UTF-8 byte order mark and ends its lines with CRLF:
// neither is part of any record, and the first record is an event like any other.

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

test('a byte order mark at the start of an input is not part of its first record', () => {
  const first = accessLine();
  const bytes = Buffer.concat([BOM, Buffer.from(first + '\r\n' + expiredLine() + '\n')]);
  for (const chunk of [1, 2, 3, 4, bytes.length]) {
    const { records, format } = decode(bytes, { chunk });
    assert.equal(format, 'plain');
    assert.deepEqual(texts(records), [first, expiredLine()].map(show), `chunks of ${chunk}`);
    assert.equal(records[0].resume, 3 + Buffer.byteLength(first) + 2, 'offsets count the mark');
  }
});

test('nor of a wrapped input’s first record (the wrapper is still recognised)', () => {
  const bytes = Buffer.concat([BOM, Buffer.from(JSON.stringify({ log: accessLine() + '\n', stream: 'stdout' }) + '\n')]);
  const { records, format } = decode(bytes);
  assert.equal(format, 'docker');
  assert.deepEqual(texts(records), [show(accessLine())]);
});

test('only at the first byte: a resumed read keeps what the line holds', () => {
  const line = '\ufeffnot at the start';
  assert.deepEqual(texts(decode(Buffer.from(line + '\n'), { start: 120 }).records), [line]);
});

test('a log saved with a BOM and CRLF line ends parses every event, the first one included', async () => {
  const dir = tempDir();
  const file = join(dir, 'windows.log');
  writeFileSync(file, Buffer.concat([BOM, Buffer.from(`${accessLine()}\r\n${expiredLine()}\r\n`)]));
  const r = await runCli(['parse', file, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; dn: string; sessionId: string; source: string });
  assert.deepEqual(events.map((e) => [e.type, e.dn, e.sessionId, e.source]), [
    ['AzSuccess', 'uid=mmosley,ou=shadow,o=Tremolo', 'f60d63b5b4c82b1f374aa58075e336f5c20a08cc2', `${file}:1`],
    ['ExpiredRefreshTokenUsed', 'uid=mmosley,ou=shadow,o=Tremolo', 'f60d63b5b4c82b1f374aa58075e336f5c20a08cc2', `${file}:2`],
  ]);
});
