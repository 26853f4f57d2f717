import assert from 'node:assert/strict';
import { test } from 'node:test';
import { foreignLayoutIn } from '../../src/components/parse/foreign-layout.js';
import { accessLine, expiredLine, header } from '../helpers/lines.js';

// A log whose lines carry OpenUnison's event words but no header the scanner reads is named
// as a layout ouwatch does not read (a custom log4j2.xml), not as "not an OpenUnison log".

const unbracketed = (line: string) => line.replace(/^\[([^\]]+)\]\[([^\]]+)\]/, '$1 [$2]');

test('the stamp outside its brackets: the first such line, what comes before its event word, and the word', () => {
  const text = [header({ logger: 'ConfigSys' }) + 'started', unbracketed(accessLine({ event: 'AuFail', dn: 'cn=none' })), unbracketed(accessLine())].join('\n');
  assert.deepEqual(foreignLayoutIn(text), { prefix: '2024-05-06 07:08:09,123 [XNIO-1 task-4] INFO  AccessLog - ', word: '[AuFail]' });
});

test('an IdP line and a wrapper (docker json-file) are found the same way', () => {
  assert.equal(foreignLayoutIn(unbracketed(expiredLine()))?.word, '[ExpiredRefreshTokenUsed]');
  const wrapped = JSON.stringify({ log: `INFO AccessLog ${accessLine().slice(accessLine().indexOf('[AzSuccess]'))}\n`, stream: 'stdout' });
  assert.deepEqual(foreignLayoutIn(wrapped), { prefix: '{"log":"INFO AccessLog ', word: '[AzSuccess]' });
});

test('lines in the layout the scanner reads say nothing, events or not (malformed for another reason)', () => {
  assert.equal(foreignLayoutIn(accessLine()), null);
  // Every stamp ByteClock reads (test/parse/time.test.ts): the header here must not fall behind it.
  for (const time of ['2024-01-01T10:00:00,000', '2024-01-01 10:00:00.000', '2024-01-01T10:00:00.000Z', '2024-01-01T10:00:00.000+01:00', '2024-01-01T10:00:00,000+0100', '2024-01-01T10:00:00,000-05']) {
    assert.equal(foreignLayoutIn(accessLine({ time })), null, time);
  }
  assert.equal(foreignLayoutIn(accessLine({ time: '9999-12-31 23:59:59,999' })), null, 'a year the scanner refuses');
  assert.equal(foreignLayoutIn(JSON.stringify({ log: accessLine() + '\n', stream: 'stdout' })), null);
});

test('text without an event word says nothing; a long prefix keeps its end', () => {
  assert.equal(foreignLayoutIn('127.0.0.1 - - [02/Mar/2026:10:00:00 +0000] "GET / HTTP/1.1" 200 612\nAzSuccess without brackets - x'), null);
  const long = foreignLayoutIn(`${'x'.repeat(200)} AccessLog - [AzFail] - k8s - u - cn=none - m [1.2.3.4] - [null]`);
  assert.equal(long?.prefix, `${'x'.repeat(67)} AccessLog - `);
});
