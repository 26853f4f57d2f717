import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { cloudLoggingJson, cloudWatchEvents, mergedSample, splunkJson } from '../helpers/exports.js';
import { assertRestartable, decode, texts } from './exports-decode.js';

// Exports of three more log platforms, recognised by their content like the others: Google
// Cloud Logging (`gcloud logging read --format=json`, or the API's entries.list response),
// Splunk's JSON export and CloudWatch Logs' events (with `--query 'events[]'`, or the whole
// response). A response's envelope is passed over up to its records' `[`: what follows the
// records (a next page's token, the streams searched) is passed over too.

const day = mergedSample().slice(0, 120);
const lines = day.map((l) => l.text);

describe('recognition and lines', () => {
  const rows: Array<[string, string, string]> = [
    ['cloud-logging', 'gcloud --format=json --order=asc', cloudLoggingJson(day, { order: 'asc' })],
    ['cloud-logging', 'entries.list response', cloudLoggingJson(day, { order: 'asc', api: true })],
    ['cloud-logging', 'one entry per line (jq -c)', (JSON.parse(cloudLoggingJson(day, { order: 'asc' })) as unknown[]).map((e) => JSON.stringify(e)).join('\n') + '\n'],
    ['splunk', 'JSON export, a row per line', splunkJson(day)],
    ['cloudwatch', "--query 'events[]'", cloudWatchEvents(day)],
    ['cloudwatch', 'the whole response, pretty', cloudWatchEvents(day, { response: true })],
    ['cloudwatch', 'the whole response, compact', JSON.stringify(JSON.parse(cloudWatchEvents(day, { response: true }))) + '\n'],
  ];
  for (const [format, what, input] of rows) {
    test(`${format}, ${what}: every line, in order, whatever the chunks`, () => {
      for (const chunk of [undefined, 1, 7, 4096]) {
        const d = decode(input, { chunk });
        assert.equal(d.format, format, `chunk ${chunk}`);
        assert.deepEqual(texts(d), lines, `chunk ${chunk}`);
        assert.equal(d.pending, 0);
      }
    });
    test(`${format}, ${what}: a restart at any record's resume offset reads exactly the records after it`, () => assertRestartable(input));
  }
});

test("a response's records start on the line of their `[`: each record resumes on the line its last byte is on", () => {
  const input = cloudWatchEvents(day.slice(0, 3), { response: true });
  const d = decode(input);
  const bytes = Buffer.from(input);
  for (const o of d.out) assert.equal(o.lineNo, bytes.subarray(0, o.resume).toString().split('\n').length, `resume ${o.resume}`);
});

test('a first key `events` or `entries` that does not hold records is not taken for a response', () => {
  for (const input of [JSON.stringify({ events: 3, message: lines[0] }), JSON.stringify({ entries: ['a'], message: lines[0] }), JSON.stringify({ events: [], message: lines[0] })]) {
    const d = decode(input + '\n');
    assert.notEqual(d.format, 'cloudwatch', input);
    assert.ok(d.out.length >= 1, input);
  }
});
