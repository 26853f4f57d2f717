import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, test } from 'node:test';
import { FINGERPRINT_LINE_BYTES, FINGERPRINT_SCAN_BYTES, fingerprintOf } from '../../src/components/sources/files/fingerprint.js';
import { accessLine, expiredLine } from '../helpers/lines.js';

// A log is known by its first record line (a log4j line carries its millisecond and thread,
// so two logs practically never share one; renamed, copied or compressed copies keep it). The
// lines many logs share at their top (a JVM banner, blank lines) are not records.

const sha1 = (s: string | Buffer) => createHash('sha1').update(s).digest('hex');
const fp = (s: string | Buffer, eof = false) => fingerprintOf(Buffer.isBuffer(s) ? s : Buffer.from(s), eof);
const FIRST = accessLine() + '\n';

describe('the first record line', () => {
  test('is the identity of a log4j log (with its newline)', () => {
    assert.equal(fp(FIRST + expiredLine() + '\n'), sha1(FIRST));
  });

  test('a banner, blank lines and a byte order mark before it are skipped', () => {
    const banner = 'Picked up JAVA_TOOL_OPTIONS: -Xmx1g\n\nOpenJDK 64-Bit Server VM warning: Options -Xverify:none are deprecated\n';
    assert.equal(fp(banner + FIRST), sha1(FIRST));
    const bom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(FIRST)]);
    assert.equal(fp(bom), sha1(bom), 'the mark is part of the line’s bytes');
  });

  test('two logs with the same banner and different first records are different logs', () => {
    const banner = 'Picked up JAVA_TOOL_OPTIONS: -Xmx1g\n';
    assert.notEqual(fp(banner + accessLine({ time: '2024-05-06 07:08:09,123' }) + '\n'), fp(banner + accessLine({ time: '2024-05-07 07:08:09,123' }) + '\n'));
  });

  test('docker, CRI and kubectl records are record lines too', () => {
    for (const first of [JSON.stringify({ log: accessLine() + '\n', stream: 'stdout' }), `2024-05-06T07:08:09.123456789Z stdout F ${accessLine()}`, `2024-05-06T07:08:09Z ${accessLine()}`]) {
      assert.equal(fp('a banner line\n' + first + '\nmore\n'), sha1(first + '\n'), first.slice(0, 30));
    }
  });

  test('a stack trace line or a bracketed word is not a record line', () => {
    const lines = '\tat com.tremolosecurity.Foo.bar(Foo.java:1)\n[INFO] starting\n' + FIRST;
    assert.equal(fp(lines), sha1(FIRST));
  });

  test('undecided (null) while the first record line has no newline, unless the input ended', () => {
    const cut = FIRST.slice(0, 50);
    assert.equal(fp(cut), null);
    assert.equal(fp('banner\n' + cut), null);
    assert.equal(fp(cut, true), sha1(cut));
  });

  test('a record line longer than 4 KiB is known by its first 4 KiB, complete or not', () => {
    const long = accessLine({ msg: 'm'.repeat(10_000) });
    assert.equal(fp(long.slice(0, 5000)), sha1(long.slice(0, FINGERPRINT_LINE_BYTES)));
    assert.equal(fp(long + '\n'), sha1(long.slice(0, FINGERPRINT_LINE_BYTES)));
  });
});

describe('inputs without a record line', () => {
  test('an empty input has no identity, ended or not', () => {
    assert.equal(fp(''), null);
    assert.equal(fp('', true), null);
  });
  test('a short input of other text is known by all its bytes once it ended', () => {
    assert.equal(fp('just a banner\n'), null);
    assert.equal(fp('just a banner\n', true), sha1('just a banner\n'));
  });
  test('an input whose first 64 KiB hold no record line is known by those bytes', () => {
    const text = 'x'.repeat(100) + '\n';
    const big = text.repeat(Math.ceil((FINGERPRINT_SCAN_BYTES + 1000) / text.length));
    assert.equal(fp(big), sha1(big.slice(0, FINGERPRINT_SCAN_BYTES)));
    assert.equal(fp(big + FIRST), sha1(big.slice(0, FINGERPRINT_SCAN_BYTES)), 'a record line after 64 KiB is not looked for');
  });
});
