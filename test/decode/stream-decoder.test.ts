import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { StreamDecoder } from '../../src/components/decode/stream-decoder.js';
import { runCli } from '../helpers/cli.js';
import { accessLine, expiredLine } from '../helpers/lines.js';
import { tempDir } from '../helpers/tmp.js';

const BOM = Buffer.from([0xef, 0xbb, 0xbf]);

function decode(bytes: Buffer, startOffset = 0): Array<string | null> {
  const d = new StreamDecoder(startOffset);
  d.write(bytes);
  d.end();
  return d.queue.texts.slice(d.queue.head);
}

test('a UTF-8 byte order mark at the start of an input is not part of its first line', () => {
  const first = accessLine();
  assert.deepEqual(decode(Buffer.concat([BOM, Buffer.from(first + '\r\n' + expiredLine() + '\n')])), [first, expiredLine()]);
});

test('only at the first byte: a resumed read and later lines keep what they hold', () => {
  const line = '\ufeffnot at the start';
  assert.deepEqual(decode(Buffer.from(line + '\n'), 120), [line]);
  assert.deepEqual(decode(Buffer.from('first\n' + line + '\n')), ['first', line]);
});

test('a log saved with a BOM and CRLF line ends parses every event, the first one included', async () => {
  const dir = tempDir();
  const file = join(dir, 'windows.log');
  writeFileSync(file, Buffer.concat([BOM, Buffer.from(`${accessLine()}\r\n${expiredLine()}\r\n`)]));
  const r = await runCli(['parse', file, '--json']);
  assert.equal(r.code, 0, r.stderr);
  const events = r.stdout.trim().split('\n').map((l) => JSON.parse(l) as { type: string; dn: string; source: string });
  assert.deepEqual(events.map((e) => [e.type, e.dn, e.source]), [
    ['AzSuccess', 'uid=mmosley,ou=shadow,o=Tremolo', `${file}:1`],
    ['ExpiredRefreshTokenUsed', 'uid=mmosley,ou=shadow,o=Tremolo', `${file}:2`],
  ]);
});
